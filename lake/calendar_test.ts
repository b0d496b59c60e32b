import assert from "node:assert/strict";
import { isTradingDay, newYorkOffsetHours, regularSessionMinutes, tradingDays } from "./calendar.ts";

const d = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;

Deno.test("isTradingDay() closes weekends and NYSE holidays", () => {
  assert.equal(isTradingDay(d("2024-07-04")), false);
  assert.equal(isTradingDay(d("2024-07-03")), true);
  assert.equal(isTradingDay(d("2024-07-06")), false);
  assert.equal(isTradingDay(d("2025-01-09")), false, "national day of mourning for President Carter");
  assert.equal(isTradingDay(d("2012-10-29")), false, "Hurricane Sandy");
});

Deno.test("after the recorded years the calendar follows the exchange's rules: 2027's closures and early closes", () => {
  assert.equal(isTradingDay(d("2027-01-01")), false, "New Year's Day");
  assert.equal(isTradingDay(d("2027-06-18")), false, "Juneteenth, observed on the Friday");
  assert.equal(isTradingDay(d("2027-12-24")), false, "Christmas, observed on the Friday");
  assert.equal(isTradingDay(d("2027-12-31")), true, "New Year's Day 2028 is a Saturday, not observed");
  assert.equal(regularSessionMinutes(d("2027-11-26")), 210, "the day after Thanksgiving closes at 13:00");
  assert.equal(regularSessionMinutes(d("2027-11-24")), 390);
  assert.equal(tradingDays(d("2027-01-01"), d("2027-12-31")).length, 251);
});

Deno.test("tradingDays() counts 252 sessions in both 2019 and 2024", () => {
  assert.equal(tradingDays(d("2019-01-01"), d("2019-12-31")).length, 252);
  assert.equal(tradingDays(d("2024-01-01"), d("2024-12-31")).length, 252);
});

Deno.test("newYorkOffsetHours() follows the US daylight-saving rules", () => {
  assert.equal(newYorkOffsetHours(d("2024-03-09")), -5);
  assert.equal(newYorkOffsetHours(d("2024-03-10")), -4);
  assert.equal(newYorkOffsetHours(d("2024-11-02")), -4);
  assert.equal(newYorkOffsetHours(d("2024-11-03")), -5);
  assert.equal(newYorkOffsetHours(d("2005-04-02")), -5);
  assert.equal(newYorkOffsetHours(d("2005-04-03")), -4);
});
