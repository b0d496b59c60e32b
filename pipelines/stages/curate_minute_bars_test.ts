import assert from "node:assert/strict";
import { num, str } from "../../lake/schemas/columns.ts";
import type { RawResponse } from "../sources/http.ts";
import { parseBarsPage } from "../sources/alpaca/client.ts";
import { mergeMinuteBars, sessionOf, stageMinuteBars } from "./curate_minute_bars.ts";

const lineage = (rawRef: string) => ({ symbol: "AMZN", source: "alpaca", ingestedAt: 0, rawRef });

Deno.test("stageMinuteBars() keeps Alpaca's real AMZN bars exactly, with lineage and sessions", async () => {
  const reply: RawResponse = {
    provider: "alpaca",
    url: "x",
    status: 200,
    contentType: "application/json",
    body: await Deno.readFile(
      new URL("../sources/alpaca/testdata/go_GetBars_AMZN_15Min_2021-10-15_sip_split.json", import.meta.url),
    ),
    fetchedAt: new Date(0),
    requestId: "r",
    latencyMs: 0,
  };
  const page = parseBarsPage(reply);
  assert.equal(page.simulated, false);
  const { batch, rejected } = stageMinuteBars(page.bars.AMZN, lineage("raw/alpaca/page1.json"));
  assert.deepEqual(rejected, []);
  assert.equal(batch.length, 5);
  assert.deepEqual(
    [num(batch, "ts")[0], num(batch, "open")[0], num(batch, "high")[0], num(batch, "low")[0], num(batch, "volume")[0]],
    [Date.parse("2021-10-15T16:00:00Z"), 3378.14, 3380.815, 3376.3001, 211689],
  );
  assert.deepEqual([num(batch, "trades")[0], num(batch, "vwap")[0]], [5435, 3379.0418]);
  assert.deepEqual([...new Set(str(batch, "session"))], ["regular"]);
  assert.deepEqual([...new Set(str(batch, "raw_ref"))], ["raw/alpaca/page1.json"]);
});

Deno.test("sessionOf() splits New York time at 09:30 and 16:00 (or an early close), in winter and in summer", () => {
  const at = (iso: string) => sessionOf(Date.parse(iso));
  // EST (UTC-5) in January, EDT (UTC-4) in July; 20:xx New York is already the next UTC day.
  assert.deepEqual(
    [at("2024-01-02T14:29:00Z"), at("2024-01-02T14:30:00Z"), at("2024-01-02T20:59:00Z"), at("2024-01-02T21:00:00Z")],
    ["pre", "regular", "regular", "post"],
  );
  assert.deepEqual(
    [at("2024-07-01T13:29:00Z"), at("2024-07-01T13:30:00Z"), at("2024-07-01T20:00:00Z"), at("2024-07-02T00:30:00Z")],
    ["pre", "regular", "post", "post"],
  );
  // The day after Thanksgiving closes at 13:00 New York: 13:00 is already post-market.
  assert.deepEqual(
    [at("2024-11-29T17:59:00Z"), at("2024-11-29T18:00:00Z"), at("2024-11-27T18:00:00Z")],
    ["regular", "post", "regular"],
  );
});

Deno.test("stageMinuteBars() rejects impossible bars and bars outside the window, and keeps the rest", () => {
  const ok = { t: "2024-01-02T14:30:00Z", o: 10, h: 11, l: 9, c: 10.5, v: 100 };
  const { batch, rejected } = stageMinuteBars(
    [
      ok,
      { ...ok, t: "2024-01-02T14:31:00Z", h: 10.2 },
      { ...ok, t: "2024-01-02T14:32:00Z", o: 0 },
      { ...ok, t: "2024-01-02T14:33:00Z", v: 1.5 },
      { ...ok, t: "2024-02-01T14:30:00Z" },
    ],
    lineage("raw/x"),
    { start: Date.parse("2024-01-01T00:00:00Z"), end: Date.parse("2024-01-31T23:59:59Z") },
  );
  assert.equal(batch.length, 1);
  assert.deepEqual(rejected.map((r) => r.reason), [
    "low <= open, close <= high must hold",
    "non-positive price",
    "volume must be a non-negative integer",
    "outside the requested window",
  ]);
});

Deno.test("mergeMinuteBars() lets a revised minute replace the old one and keeps identical reruns", () => {
  const bar = { t: "2024-01-31T20:59:00Z", o: 10, h: 11, l: 9, c: 10.5, v: 100 };
  const next = { ...bar, t: "2024-02-01T14:30:00Z" };
  const first = mergeMinuteBars(
    stageMinuteBars([], lineage("raw/0")).batch,
    stageMinuteBars([bar, next], lineage("raw/1")).batch,
  );
  const same = mergeMinuteBars(first.batch, stageMinuteBars([bar], lineage("raw/2")).batch);
  assert.deepEqual([same.inserted, same.updated, same.unchanged], [0, 0, 1]);
  assert.deepEqual(str(same.batch, "raw_ref"), ["raw/1", "raw/1"]);
  const revised = mergeMinuteBars(first.batch, stageMinuteBars([{ ...bar, c: 10.75 }], lineage("raw/3")).batch);
  assert.deepEqual([revised.inserted, revised.updated], [0, 1]);
  assert.deepEqual([num(revised.batch, "close")[0], str(revised.batch, "raw_ref")[0]], [10.75, "raw/3"]);
});

Deno.test("mergeMinuteBars() sorts shuffled minutes of several symbols by symbol, then time", () => {
  const minutes = Array.from({ length: 300 }, (_, i) => ({
    t: new Date(Date.UTC(2024, 0, 2, 14, 30) + ((i * 7919) % 100) * 60_000).toISOString(),
    o: 10,
    h: 11,
    l: 9,
    c: 10,
    v: i,
  }));
  const staged = ["B", "A", "C"].map((symbol, k) =>
    stageMinuteBars(minutes.slice(k * 100, k * 100 + 100), { ...lineage("raw/x"), symbol }).batch
  );
  const stacked = staged.reduce((acc, b) => mergeMinuteBars(acc, b).batch);
  const symbols = str(stacked, "symbol"), ts = num(stacked, "ts");
  assert.equal(stacked.length, 300);
  for (let i = 1; i < stacked.length; i++) {
    assert.ok(symbols[i - 1]! < symbols[i]! || (symbols[i - 1] === symbols[i] && ts[i - 1] < ts[i]), `row ${i}`);
  }
});

Deno.test("mergeMinuteBars(): an IEX bar never replaces a consolidated one; a consolidated bar replaces an IEX one", () => {
  // The same minute from Alpaca's IEX feed (one exchange's trades) and from a consolidated source.
  const bar = (volume: number) => ({
    t: "2024-03-04T15:00:00Z",
    o: 10,
    h: 10.5,
    l: 9.9,
    c: 10.2,
    v: volume,
    n: 5,
    vw: 10.1,
  });
  const staged = (source: string, volume: number, at: number) =>
    stageMinuteBars([bar(volume)], { symbol: "AMZN", source, ingestedAt: at, rawRef: `raw/${source}` }).batch;
  const merged = (existing: [string, number], incoming: [string, number]) => {
    const m = mergeMinuteBars(staged(existing[0], existing[1], 1), staged(incoming[0], incoming[1], 2));
    return [str(m.batch, "source")[0], num(m.batch, "volume")[0], m.updated];
  };
  assert.deepEqual(merged(["alpaca_sip", 90_000], ["alpaca_iex", 2_500]), ["alpaca_sip", 90_000, 0], "SIP stays");
  assert.deepEqual(merged(["yahoo", 88_000], ["alpaca_iex", 2_500]), ["yahoo", 88_000, 0], "Yahoo's stays");
  assert.deepEqual(merged(["alpaca", 2_400], ["alpaca_sip", 90_000]), ["alpaca_sip", 90_000, 1], "over a legacy row");
  assert.deepEqual(merged(["alpaca_iex", 2_400], ["alpaca_iex", 2_500]), ["alpaca_iex", 2_500, 1], "newest of a feed");
  assert.deepEqual(
    merged(["alpaca_sip", 90_000], ["yahoo", 91_000]),
    ["yahoo", 91_000, 1],
    "newest of two consolidated",
  );
});
