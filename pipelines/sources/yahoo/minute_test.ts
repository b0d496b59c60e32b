import assert from "node:assert/strict";
import { parseChartBody } from "./client.ts";
import { toMinuteBars } from "./minute.ts";

const load = async (f: string) => parseChartBody(await Deno.readFile(new URL(`./testdata/${f}`, import.meta.url)), "X");

Deno.test("toMinuteBars() drops the all-null bar and the bar after period2 of the real AAPL 1m reply", async () => {
  const chart = await load("chart-AAPL-2024-10-02-to-2024-10-03-includePrePost-false-interval-1m.body.json");
  const { bars, dropped } = toMinuteBars(chart, { period1: 1727827200, period2: 1727913600 });
  assert.equal(bars.length, 389);
  assert.equal(dropped, 2);
  assert.equal(new Date(bars[0].ts).toISOString(), "2024-10-02T13:30:00.000Z");
  assert.ok(!bars.some((b) => new Date(b.ts).toISOString() === "2024-10-02T15:15:00.000Z"), "the all-null 15:15 bar");
});

Deno.test("toMinuteBars() keeps the pre- and post-market bars of a real includePrePost reply", async () => {
  const chart = await load("chart-TSLA-2021-11-22-to-2021-11-23-interval-30m.bodyJson.json");
  const { bars } = toMinuteBars(chart, { period1: 0, period2: 2e9 });
  // Half-hours from 04:00 New York (EST): 11 before the open, 13 in the session, then the post-market.
  const nyHour = (b: { ts: number }) =>
    new Date(b.ts - 5 * 3_600_000).getUTCHours() + new Date(b.ts).getUTCMinutes() / 60;
  assert.deepEqual(
    [bars.filter((b) => nyHour(b) < 9.5).length, bars.filter((b) => nyHour(b) >= 9.5 && nyHour(b) < 16).length],
    [11, 13],
  );
  assert.ok(bars.some((b) => nyHour(b) >= 16), "post-market bars kept");
});

Deno.test("toMinuteBars() returns nothing for the weekend reply without timestamps", async () => {
  const chart = await load("chart-AAPL-2025-02-01-to-2025-02-02-includePrePost-false-interval-1m.bodyJson.json");
  assert.equal(toMinuteBars(chart, { period1: 0, period2: 2e9 }).bars.length, 0);
});
