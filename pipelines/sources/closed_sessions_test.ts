import assert from "node:assert/strict";
import { daysToIso, isoToDays, num } from "../../lake/schemas/columns.ts";
import { closedSessionsOnly } from "./closed_sessions.ts";

const parsed = (...days: string[]) => ({
  batch: {
    length: days.length,
    columns: { date: Float64Array.from(days, isoToDays), close: Float64Array.from(days, (_, i) => 10 + i) },
  },
  warnings: ["kept from the parser"],
});
const dates = (p: ReturnType<typeof parsed>) => Array.from(num(p.batch, "date"), daysToIso);

Deno.test("closedSessionsOnly() leaves out the bar of a session still open when fetched, and names its day", () => {
  // 2026-12-02 is a Wednesday: its session closes at 16:00 New York, 21:00Z.
  const during = closedSessionsOnly(parsed("2026-12-01", "2026-12-02"), new Date("2026-12-02T20:59:59Z"));
  assert.deepEqual(dates(during), ["2026-12-01"]);
  assert.deepEqual([...num(during.batch, "close")], [10]);
  assert.deepEqual(during.openSessions.map(daysToIso), ["2026-12-02"]);
  assert.deepEqual(during.warnings, ["kept from the parser"]);

  const atClose = closedSessionsOnly(parsed("2026-12-01", "2026-12-02"), new Date("2026-12-02T21:00:00Z"));
  assert.deepEqual(dates(atClose), ["2026-12-01", "2026-12-02"]);
  assert.deepEqual(atClose.openSessions, []);
});

Deno.test("closedSessionsOnly() knows early closes and summer time", () => {
  // The day after Thanksgiving 2026 closes at 13:00 New York (18:00Z, in winter time).
  const friday = parsed("2026-11-27");
  assert.deepEqual(dates(closedSessionsOnly(friday, new Date("2026-11-27T17:59:00Z"))), []);
  assert.deepEqual(dates(closedSessionsOnly(friday, new Date("2026-11-27T18:00:00Z"))), ["2026-11-27"]);
  // In July, 16:00 New York is 20:00Z.
  const july = parsed("2026-07-15");
  assert.deepEqual(dates(closedSessionsOnly(july, new Date("2026-07-15T19:59:00Z"))), []);
  assert.deepEqual(dates(closedSessionsOnly(july, new Date("2026-07-15T20:00:00Z"))), ["2026-07-15"]);
});
