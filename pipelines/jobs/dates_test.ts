import assert from "node:assert/strict";
import { parseIsoDay } from "../../lake/calendar.ts";
import { parseRange } from "./dates.ts";

const today = new Date("2026-11-24T12:00:00Z");

Deno.test("parseRange() accepts a real range and clamps the end to today", () => {
  const r = parseRange("2026-11-20", "2027-01-01", today);
  assert.equal(r.toDay - r.fromDay, 4);
});

Deno.test("parseRange() rejects impossible ranges with a message naming the problem", () => {
  assert.throws(() => parseRange("2024-02-30", "2024-03-01", today), /no such calendar day/);
  assert.throws(() => parseRange("2024-13-01", "2024-12-01", today), /no such calendar day/);
  assert.throws(() => parseRange("2024-03-01", "2024-02-01", today), /--from is after --to/);
  assert.throws(() => parseRange("1969-12-31", "2024-02-01", today), /before 1970/);
  assert.throws(() => parseRange("2030-01-01", "2030-02-01", today), /in the future/);
  assert.throws(() => parseRange("yesterday", "2024-02-01", today), /expected YYYY-MM-DD/);
});

Deno.test("parseIsoDay() counts days since 1970-01-01", () => {
  assert.equal(parseIsoDay("1970-01-02", "x"), 1);
  assert.equal(parseIsoDay("2024-02-29", "x"), 19782);
});
