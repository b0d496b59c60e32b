/**
 * The NYSE trading calendar: weekends and the exchange's full-day closures and early closes.
 * 2009-2026 are recorded (derived from QuantConnect Lean's market-hours database, cross-checked
 * against exchange_calendars), unscheduled closures included; other years follow the exchange's
 * rules (`holiday_rules.ts`), which reproduce every scheduled closure of the recorded years.
 * @module
 */
import { ruleEarlyCloses, ruleHolidays } from "./holiday_rules.ts";
import holidaysCsv from "./reference_data/nyse_holidays_2009-2026.csv" with { type: "text" };
import { isoToDays } from "./schemas/columns.ts";

const DAY_MS = 86_400_000;
const RECORDED = { first: 2009, last: 2026 };
/**
 * The first year whose closures the calendar is sure of: before it, rules alone miss the
 * unscheduled closures (9/11, state funerals), so a check there would flag them as missing sessions.
 */
export const HOLIDAYS_KNOWN_FROM = RECORDED.first;

const closed = new Set<number>();
/** Days the session closes early, with the close in minutes after midnight New York. */
const earlyClose = new Map<number, number>();
for (const line of holidaysCsv.split(/\r?\n/).slice(1)) {
  const [date, , type, time] = line.split(",");
  if (!date) continue;
  const day = Date.parse(`${date}T00:00:00Z`) / DAY_MS;
  if (type === "closed") closed.add(day);
  if (type === "early_close") earlyClose.set(day, Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5)));
}

/** Years outside the recording whose rule closures are in `closed` and `earlyClose`. */
const ruled = new Set<number>();

/** Make sure `day`'s year is in the calendar: recorded, or added from the rules on first use. */
function cover(day: number) {
  const year = new Date(day * DAY_MS).getUTCFullYear();
  if ((year >= RECORDED.first && year <= RECORDED.last) || ruled.has(year)) return;
  ruled.add(year);
  for (const d of ruleHolidays(year)) closed.add(d);
  for (const d of ruleEarlyCloses(year)) earlyClose.set(d, 13 * 60);
}

/**
 * Minutes of a day's regular session, 09:30 New York to its close: 390, or fewer on an early
 * close (13:00 on the day after Thanksgiving, say).
 *
 * @example
 * ```ts
 * import { regularSessionMinutes } from "./calendar.ts";
 * const d = (iso: string) => Date.parse(iso) / 86_400_000;
 * if (regularSessionMinutes(d("2024-11-29")) !== 210 || regularSessionMinutes(d("2024-11-27")) !== 390) throw new Error();
 * ```
 */
export function regularSessionMinutes(day: number): number {
  cover(day);
  return (earlyClose.get(day) ?? 16 * 60) - (9 * 60 + 30);
}

/**
 * Whether NYSE trades on a day (epoch days).
 *
 * @example
 * ```ts
 * import { isTradingDay } from "./calendar.ts";
 * const d = (iso: string) => Date.parse(iso) / 86_400_000;
 * if (isTradingDay(d("2024-07-04")) || !isTradingDay(d("2024-07-03"))) throw new Error();
 * ```
 */
export function isTradingDay(day: number): boolean {
  cover(day);
  const weekday = (day + 4) % 7; // 1970-01-01 was a Thursday (4).
  return weekday !== 0 && weekday !== 6 && !closed.has(day);
}

/** Every trading day in `[fromDay, toDay]`. */
export function tradingDays(fromDay: number, toDay: number): number[] {
  const out: number[] = [];
  for (let d = fromDay; d <= toDay; d++) if (isTradingDay(d)) out.push(d);
  return out;
}

/**
 * New York's UTC offset in hours on a day: -4 in daylight time, -5 otherwise. US rules: since
 * 2007 from the second Sunday of March to the first Sunday of November; before, from the first
 * Sunday of April to the last Sunday of October.
 */
export function newYorkOffsetHours(day: number): number {
  const y = new Date(day * DAY_MS).getUTCFullYear();
  const nthSunday = (month: number, n: number) => {
    const first = Date.UTC(y, month, 1) / DAY_MS;
    return first + ((7 - ((first + 4) % 7)) % 7) + 7 * (n - 1);
  };
  const lastSunday = (month: number) => {
    const last = Date.UTC(y, month + 1, 0) / DAY_MS;
    return last - ((last + 4) % 7);
  };
  const [start, end] = y >= 2007 ? [nthSunday(2, 2), nthSunday(10, 1)] : [nthSunday(3, 1), lastSunday(9)];
  return day >= start && day < end ? -4 : -5;
}

/** Epoch milliseconds of the end of a day's regular session: 16:00 New York, or 13:00 on an early close. */
export function sessionCloseMs(day: number): number {
  return newYorkMidnightMs(day) + (9 * 60 + 30 + regularSessionMinutes(day)) * 60_000;
}

/**
 * Whether a day's regular session had closed at `ms` (epoch milliseconds). Every session closes
 * within its own UTC day, so a day before `ms`'s UTC day needs no calendar.
 */
export function sessionClosedBy(day: number, ms: number): boolean {
  return day < Math.floor(ms / DAY_MS) || sessionCloseMs(day) <= ms;
}

/** Epoch milliseconds of 00:00 New York on an epoch day: where a New York day begins in UTC. */
export function newYorkMidnightMs(day: number): number {
  return (day - newYorkOffsetHours(day) / 24) * DAY_MS;
}

/** Parse a `YYYY-MM-DD` that names a real calendar day, or throw a `RangeError` naming `what`. */
export function parseIsoDay(value: string, what: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new RangeError(`Cannot use ${what} '${value}': expected YYYY-MM-DD`);
  const days = isoToDays(value);
  if (!Number.isFinite(days) || new Date(days * 86_400_000).toISOString().slice(0, 10) !== value) {
    throw new RangeError(`Cannot use ${what} '${value}': no such calendar day`);
  }
  return days;
}
