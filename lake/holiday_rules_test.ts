import assert from "node:assert/strict";
import csv from "./reference_data/nyse_holidays_2009-2026.csv" with { type: "text" };
import { ruleEarlyCloses, ruleHolidays } from "./holiday_rules.ts";
import { daysToIso, isoToDays } from "./schemas/columns.ts";

const recorded = csv.split(/\r?\n/).slice(1).filter(Boolean).map((l) => l.split(","));
const weekend = (iso: string) => [0, 6].includes(new Date(`${iso}T00:00:00Z`).getUTCDay());

/** Unscheduled closures in the recorded years, which no rule can know. */
const UNSCHEDULED = ["2012-10-29", "2012-10-30", "2018-12-05", "2025-01-09"];

Deno.test("ruleHolidays() gives the recorded NYSE closures of 2009-2026, all but the unscheduled ones", () => {
  for (let year = 2009; year <= 2026; year++) {
    // The recording also lists holidays that fell on a weekend (2011-01-01), days without a session.
    const want = recorded.filter(([d, , type]) => d.startsWith(`${year}`) && type === "closed").map(([d]) => d)
      .filter((d) => !UNSCHEDULED.includes(d) && !weekend(d));
    assert.deepEqual(ruleHolidays(year).map(daysToIso), want, `${year}`);
  }
});

Deno.test("ruleEarlyCloses() gives the recorded 13:00 closes of 2009-2026", () => {
  for (let year = 2009; year <= 2026; year++) {
    // The recording lists one Sunday (2017-12-24), a day without a session.
    const want = recorded.filter(([d, , type]) => d.startsWith(`${year}`) && type === "early_close" && !weekend(d))
      .map(([d]) => d);
    assert.deepEqual(ruleEarlyCloses(year).map(daysToIso), want, `${year}`);
  }
});

Deno.test("ruleHolidays() for 2027 and 2028: NYSE's published schedule, with a Saturday New Year's Day not observed", () => {
  assert.deepEqual(ruleHolidays(2027).map(daysToIso), [
    "2027-01-01",
    "2027-01-18",
    "2027-02-15",
    "2027-03-26",
    "2027-05-31",
    "2027-06-18",
    "2027-07-05",
    "2027-09-06",
    "2027-11-25",
    "2027-12-24",
  ]);
  const y2028 = ruleHolidays(2028).map(daysToIso);
  assert.equal(y2028[0], "2028-01-17", "2028-01-01 is a Saturday: no closure, and none on 2027-12-31");
  assert.ok(!ruleHolidays(2027).includes(isoToDays("2027-12-31")));
  assert.deepEqual(ruleEarlyCloses(2027).map(daysToIso), ["2027-11-26"]);
});
