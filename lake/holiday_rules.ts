/**
 * NYSE's scheduled closures by the exchange's rules, for years the recorded calendar does not
 * cover. Rules cannot know unscheduled closures (a storm, a national day of mourning); the
 * recorded years hold those.
 * @module
 */

const DAY_MS = 86_400_000;

/** Epoch day of a UTC calendar date (`month` from 1). */
const dayOf = (year: number, month: number, date: number) => Date.UTC(year, month - 1, date) / DAY_MS;
/** 0 = Sunday ... 6 = Saturday. */
const weekday = (day: number) => (day + 4) % 7;

/** The `n`th `wd` weekday of a month (`n` = -1: the last). */
function nthWeekday(year: number, month: number, wd: number, n: number): number {
  if (n < 0) {
    const last = dayOf(year, month + 1, 0);
    return last - ((weekday(last) - wd + 7) % 7);
  }
  const first = dayOf(year, month, 1);
  return first + ((wd - weekday(first) + 7) % 7) + 7 * (n - 1);
}

/** Easter Sunday of the Gregorian calendar (the anonymous Gregorian algorithm). */
function easter(year: number): number {
  const a = year % 19, b = Math.floor(year / 100), c = year % 100;
  const d = Math.floor(b / 4), e = b % 4, f = Math.floor((b + 8) / 25), g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30, i = Math.floor(c / 4), k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7, m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31), date = ((h + l - 7 * m + 114) % 31) + 1;
  return dayOf(year, month, date);
}

/** A fixed-date holiday as observed: a Saturday's on the Friday before, a Sunday's on the Monday after. */
function observed(day: number): number {
  return weekday(day) === 6 ? day - 1 : weekday(day) === 0 ? day + 1 : day;
}

/**
 * The full-day closures of `year`, ascending. New Year's Day on a Saturday is not observed: the
 * Friday before ends the previous year.
 */
export function ruleHolidays(year: number): number[] {
  const newYear = dayOf(year, 1, 1);
  const days = [
    weekday(newYear) === 6 ? NaN : observed(newYear),
    nthWeekday(year, 1, 1, 3), // Martin Luther King Jr. Day
    nthWeekday(year, 2, 1, 3), // Washington's Birthday
    easter(year) - 2, // Good Friday
    nthWeekday(year, 5, 1, -1), // Memorial Day
    year >= 2022 ? observed(dayOf(year, 6, 19)) : NaN, // Juneteenth
    observed(dayOf(year, 7, 4)),
    nthWeekday(year, 9, 1, 1), // Labor Day
    nthWeekday(year, 11, 4, 4), // Thanksgiving
    observed(dayOf(year, 12, 25)),
  ];
  return days.filter((d) => !Number.isNaN(d)).sort((a, b) => a - b);
}

/**
 * The 13:00 early closes of `year`: July 3 before a weekday Independence Day, the day after
 * Thanksgiving, and Christmas Eve when it is a Monday to Thursday.
 */
export function ruleEarlyCloses(year: number): number[] {
  const before = (day: number) => weekday(day) >= 1 && weekday(day) <= 4;
  const july3 = dayOf(year, 7, 3), eve = dayOf(year, 12, 24);
  return [
    ...(before(july3) ? [july3] : []),
    nthWeekday(year, 11, 4, 4) + 1,
    ...(before(eve) ? [eve] : []),
  ].sort((a, b) => a - b);
}
