import assert from "node:assert/strict";
import { num } from "../../lake/schemas/columns.ts";
import { BROWSER_USER_AGENT, parseChartBody } from "../sources/yahoo/client.ts";
import { toDailyBars } from "../sources/yahoo/daily.ts";
import { createReplayApp } from "./server.ts";

const NOW = () => new Date("2024-12-31T23:00:00Z");
const replayApp = createReplayApp({ now: NOW });
// As a browser asks: Yahoo turns other clients away.
const app = { request: (path: string) => replayApp.request(path, { headers: { "user-agent": BROWSER_USER_AGENT } }) };
const chart = async (
  symbol: string,
  p1: string,
  p2: string,
) => (await app.request(
  `/v8/finance/chart/${symbol}?period1=${Date.parse(p1) / 1000}&period2=${
    Date.parse(p2) / 1000
  }&interval=1d&events=div%7Csplit`,
));

/** Key sets of a recorded reply's meta and result, for shape comparison. */
async function recordedShape() {
  const rec = JSON.parse(
    await Deno.readTextFile(
      new URL("./recordings/yahoo/chart-AAPL-2020-08-31-to-2020-11-07.bodyJson.json", import.meta.url),
    ),
  );
  return rec.chart.result[0];
}

Deno.test("replay Yahoo chart has the recorded reply's shape and only trading days", async () => {
  const res = await chart("S0042", "2024-07-01T00:00:00Z", "2024-07-10T00:00:00Z");
  assert.equal(res.status, 200);
  const r = (await res.json()).chart.result[0];
  const rec = await recordedShape();
  for (
    const k of [
      "currency",
      "symbol",
      "exchangeTimezoneName",
      "gmtoffset",
      "regularMarketPrice",
      "chartPreviousClose",
      "dataGranularity",
    ]
  ) {
    assert.ok(k in r.meta && typeof r.meta[k] === typeof rec.meta[k], k);
  }
  assert.deepEqual(Object.keys(r.indicators.quote[0]).sort(), Object.keys(rec.indicators.quote[0]).sort());
  const days = r.timestamp.map((t: number) => new Date((t - 4 * 3600) * 1000).toISOString().slice(0, 10));
  assert.deepEqual(days, ["2024-07-01", "2024-07-02", "2024-07-03", "2024-07-05", "2024-07-08", "2024-07-09"]);
  // Daily bars are stamped at 09:30 New York (13:30Z in July).
  assert.equal(new Date(r.timestamp[0] * 1000).toISOString(), "2024-07-01T13:30:00.000Z");
  assert.deepEqual(r.meta.ticklake, { realFrom: null, realTo: null });
});

Deno.test("replay Yahoo chart is deterministic across overlapping ranges", async () => {
  const a = (await (await chart("S0042", "2024-01-01T00:00:00Z", "2024-06-30T00:00:00Z")).json()).chart.result[0];
  const b = (await (await chart("S0042", "2024-03-01T00:00:00Z", "2024-03-31T00:00:00Z")).json()).chart.result[0];
  const i = a.timestamp.indexOf(b.timestamp[0]);
  assert.ok(i > 0);
  assert.deepEqual(a.indicators.quote[0].close.slice(i, i + b.timestamp.length), b.indicators.quote[0].close);
});

Deno.test("replay Yahoo chart serves real TSLA bars, split-adjusted as of the reply, with the split event", async () => {
  const r = (await (await chart("TSLA", "2022-08-22T00:00:00Z", "2022-08-30T00:00:00Z")).json()).chart.result[0];
  assert.equal(r.events.splits[Object.keys(r.events.splits)[0]].numerator, 3);
  assert.ok(r.meta.ticklake.realFrom <= r.timestamp[0] && r.meta.ticklake.realTo >= r.timestamp.at(-1));
  // The recording's TSLA closes are adjusted for both the 2020 and 2022 splits; the reply re-adjusts
  // as of 2024, which includes both: the first bar equals the recording's value.
  const rec = JSON.parse(
    await Deno.readTextFile(
      new URL("./recordings/yahoo/historical-via-chart-dividends-TSLA-no-dividends.body.json", import.meta.url),
    ),
  ).chart.result[0];
  const k = rec.timestamp.indexOf(r.timestamp[0]);
  assert.ok(Math.abs(r.indicators.quote[0].close[0] - rec.indicators.quote[0].close[k]) < 0.001);
});

Deno.test("replay Yahoo chart sends float32 prices, as Yahoo does, so bars before a split parse back to whole cents", async () => {
  const isFloat32 = (xs: number[]) => xs.every((x) => x === Math.fround(x));
  const rec = await recordedShape();
  assert.ok(isFloat32(rec.indicators.quote[0].close) && isFloat32(rec.indicators.adjclose[0].adjclose));
  // S0000 splits 2:1 on 2017-02-17, 2020-07-10 and 2022-02-18: the reply divides its earlier bars by 8.
  // Its end is today, as the parser needs, so that the reply lists every split it adjusted for.
  const res = await chart("S0000", "2017-01-01T00:00:00Z", "2024-12-31T00:00:00Z");
  const body = new Uint8Array(await res.arrayBuffer());
  const r = JSON.parse(new TextDecoder().decode(body)).chart.result[0];
  assert.equal(Object.keys(r.events.splits).length, 3);
  const q = r.indicators.quote[0];
  for (const k of ["open", "high", "low", "close"]) assert.ok(isFloat32(q[k]), k);
  assert.ok(isFloat32(r.indicators.adjclose[0].adjclose));
  const { batch } = toDailyBars(parseChartBody(body, "S0000"), { symbol: "S0000", fromDay: 0, toDay: 100_000 });
  assert.equal(num(batch, "split_ratio").filter((x) => x > 1).length, 3);
  for (const k of ["open", "high", "low", "close"]) {
    const offCents = num(batch, k).filter((x) => Math.abs(x * 100 - Math.round(x * 100)) > 1e-6);
    assert.deepEqual([...offCents], [], k);
  }
});

Deno.test("replay turns away a Yahoo client that does not look like a browser, as Yahoo's edge does", async () => {
  for (const headers of [{}, { "user-agent": "Deno/2.9.6" }] as Record<string, string>[]) {
    const res = await replayApp.request("/v8/finance/chart/AAPL?period1=0&period2=1", { headers });
    assert.equal(res.status, 429);
    assert.equal(await res.text(), "Too Many Requests\r\n");
  }
});

Deno.test("replay answers unknown symbols and bad periods the way Yahoo does", async () => {
  const missing = await app.request("/v8/finance/chart/..%2Fx?period1=0&period2=1");
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).chart.error.code, "Not Found");
  const bad = await app.request("/v8/finance/chart/AAPL?period1=20&period2=10");
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).chart.error.code, "Bad Request");
  const sym = await app.request("/dynamic/SymDir/nasdaqlisted.txt");
  assert.equal(
    await sym.text(),
    await Deno.readTextFile(new URL("./recordings/nasdaqtrader/nasdaqlisted_2025-07-21.txt", import.meta.url)),
  );
});

Deno.test("replay Yahoo 1m keeps Yahoo's limits and the recorded reply's shape", async () => {
  const minutes = (p1: string, p2: string) =>
    app.request(`/v8/finance/chart/MSFT?period1=${Date.parse(p1) / 1000}&period2=${Date.parse(p2) / 1000}&interval=1m`);
  const tooLong = await minutes("2024-12-20T00:00:00Z", "2024-12-28T00:00:00Z");
  assert.equal(tooLong.status, 422);
  assert.match((await tooLong.json()).chart.error.description, /Only 7 days worth of 1m granularity data/);
  const tooOld = await minutes("2024-11-20T00:00:00Z", "2024-11-21T00:00:00Z");
  assert.equal(tooOld.status, 422);
  assert.match((await tooOld.json()).chart.error.description, /within the last 30 days/);

  const reply = await minutes("2024-12-30T00:00:00Z", "2024-12-31T00:00:00Z");
  assert.equal(reply.status, 200);
  const result = (await reply.json()).chart.result[0];
  const recorded = JSON.parse(
    await Deno.readTextFile(
      new URL(
        "./recordings/yahoo/chart-AAPL-2024-10-02-to-2024-10-03-includePrePost-false-interval-1m.body.json",
        import.meta.url,
      ),
    ),
  ).chart.result[0];
  assert.deepEqual(Object.keys(result.indicators.quote[0]).sort(), Object.keys(recorded.indicators.quote[0]).sort());
  assert.deepEqual(result.meta.tradingPeriods, [[{
    timezone: "EST",
    gmtoffset: -18000,
    start: 1735569000,
    end: 1735592400,
  }]]);
  // One regular session, 09:30 to 16:00 New York, a bar a minute.
  assert.equal(result.timestamp.length, 390);
  assert.equal(result.timestamp[0], 1735569000);
  assert.ok(result.meta.ticklake, "simulated minutes are tagged");
  for (const q of [result.indicators.quote[0], recorded.indicators.quote[0]]) {
    assert.ok(q.close.every((x: number | null) => x === null || x === Math.fround(x)), "float32 prices");
  }
});
