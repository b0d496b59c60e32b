/** `deno task audit` over a lake ingested from the replay server, clean and then with one defect of each kind. */
import assert from "node:assert/strict";
import { layout } from "../lake/layout.ts";
import { createWasmEngine } from "../lake/parquet/wasm_engine.ts";
import { type Batch, daysToIso, emptyBatch, isoToDays, num, str, takeRows } from "../lake/schemas/columns.ts";
import { DAILY_BARS } from "../lake/schemas/daily_bars.ts";
import { openLake } from "../lake/query.ts";
import { createLocalStore } from "../lake/store_local.ts";
import { auditDailyBars, type Finding } from "../pipelines/jobs/audit_daily.ts";
import { yahooDailySource } from "../pipelines/jobs/daily_sources.ts";
import { ingestDaily } from "../pipelines/jobs/ingest_daily.ts";
import { startReplayServer } from "../pipelines/replay/server.ts";
import { main } from "../main.ts";
import { capture } from "./support/capture.ts";

const NOW = () => new Date("2024-04-06T23:00:00Z");

async function audit(root: string) {
  const store = createLocalStore(root);
  const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
  try {
    return await auditDailyBars({ lake, store });
  } finally {
    lake.close();
  }
}

Deno.test("audit: a clean lake has no findings; each injected defect is found exactly where it is", async () => {
  const replay = await startReplayServer({ port: 0, hostname: "127.0.0.1", now: NOW });
  const root = await Deno.makeTempDir();
  const store = createLocalStore(root);
  const engine = createWasmEngine();
  try {
    const source = yahooDailySource({ baseUrl: replay.url, now: NOW });
    const symbols = ["AAPL", "MSFT", "S0001", "S0002"];
    await ingestDaily({ store, engine, source, symbols, from: "2024-03-01", to: "2024-04-05", now: NOW });
    const clean = await audit(root);
    assert.equal(clean.symbols, 4);
    assert.deepEqual([clean.errors, clean.warnings, clean.findings], [0, 0, []]);

    // One defect of each kind, written into the curated partition as a faulty provider or a bug would.
    const key = layout.dailyBarsPartition(2024);
    const b = await engine.decode((await store.get(key))!, DAILY_BARS);
    const at = (symbol: string, iso: string) => {
      const i = str(b, "symbol").findIndex((s, k) => s === symbol && num(b, "date")[k] === isoToDays(iso));
      assert.ok(i >= 0, `${symbol} ${iso}`);
      return i;
    };
    const set = (i: number, column: string, f: (x: number) => number) => (num(b, column)[i] = f(num(b, column)[i]));
    for (const c of ["close", "adj_close", "high"]) set(at("S0001", "2024-03-07"), c, (x) => x * 1.8);
    set(at("AAPL", "2024-03-11"), "volume", () => 0);
    // Fetched at 10:00 New York, the day so far; and one fetched at 16:30 New York (summer time from
    // 03-10), after the close, that is whole.
    set(at("S0002", "2024-03-07"), "ingested_at", () => Date.parse("2024-03-07T15:00:00Z"));
    set(at("S0001", "2024-03-12"), "ingested_at", () => Date.parse("2024-03-12T20:30:00Z"));
    set(at("MSFT", "2024-03-12"), "adj_close", (x) => Math.round(x * 0.99 * 1e4) / 1e4);
    str(b, "raw_ref")[at("S0001", "2024-03-14")] = "raw/yahoo/chart_1d/dt=2024-01-01/GONE.json";
    const goodFriday = at("AAPL", "2024-03-28");
    const rows: number[] = [];
    for (let i = 0; i < b.length; i++) {
      const [symbol, iso] = [str(b, "symbol")[i], daysToIso(num(b, "date")[i])];
      if (symbol === "AAPL" && iso === "2024-03-05") continue; // a lost session
      if (symbol === "S0002" && iso > "2024-03-08") continue; // a symbol that stopped updating
      rows.push(i);
      if (symbol === "MSFT" && iso === "2024-03-06") rows.push(i); // twice
      if (i === goodFriday) rows.push(-1); // a bar on 2024-03-29, when the NYSE was closed
    }
    const faulty: Batch = takeRows(b, rows.map((i) => (i < 0 ? goodFriday : i)));
    num(faulty, "date")[rows.indexOf(-1)] = isoToDays("2024-03-29");
    await store.put(key, await engine.encode(faulty, DAILY_BARS));

    const report = await audit(root);
    const found = (check: Finding["check"]) =>
      report.findings.filter((f) => f.check === check).map((f) => `${f.symbol} ${f.date}`);
    assert.deepEqual(found("duplicate_bar"), ["MSFT 2024-03-06"]);
    assert.deepEqual(found("missing_lineage"), ["S0001 2024-03-14"]);
    assert.deepEqual(found("missing_session"), ["AAPL 2024-03-05"]);
    assert.deepEqual(found("bar_on_closed_day"), ["AAPL 2024-03-29"]);
    assert.deepEqual(found("unexplained_move"), ["S0001 2024-03-07"], "+80% on 03-07; the fall back is -44%");
    // The factor moves on 03-12 and back on 03-13; S0001's 03-07 moved close and adj_close together.
    assert.deepEqual(found("adjustment_without_event"), ["MSFT 2024-03-12", "MSFT 2024-03-13"]);
    assert.deepEqual(found("zero_volume"), ["AAPL 2024-03-11"]);
    assert.deepEqual(found("unfinished_session"), ["S0002 2024-03-07"]);
    assert.deepEqual(found("stale_symbol"), ["S0002 2024-03-08"]);
    // 2024-03-11 .. 2024-04-05 without Good Friday: 19 sessions.
    assert.match(report.findings.find((f) => f.check === "stale_symbol")!.detail, /last bar 19 sessions before/);
    assert.deepEqual([report.errors, report.warnings], [2, 8]);

    // The command fails on errors (a linter's exit code), and refuses a bad threshold as bad input.
    const json = await capture(() => main(["audit", "--lake", root, "--json"]));
    assert.equal(json.code, 1);
    assert.deepEqual(JSON.parse(json.out).counts, report.counts);
    assert.equal((await capture(() => main(["audit", "--lake", root, "--move", "zero"]))).code, 2);
  } finally {
    await replay.close();
  }
});

Deno.test("audit: a split or dividend explains its move, years before the recorded holidays and boundaries are not findings", async () => {
  const root = await Deno.makeTempDir();
  const store = createLocalStore(root);
  const engine = createWasmEngine();
  const rawRef = "raw/yahoo/chart_1d/dt=2024-03-20/ALL.json";
  await store.put(rawRef, "{}");
  // [symbol, date, close, adj_close, dividend, split ratio, fetched at (default: the day after, 00:00 UTC)]
  type Bar = [string, string, number, number, number, number, string?];
  const bars: Bar[] = [
    // A 3:1 split: the close falls by two thirds, adj_close / close stays.
    ["SPLT", "2024-03-01", 100, 100, 0, 1],
    ["SPLT", "2024-03-04", 33.5, 33.5, 0, 3],
    // A $1 dividend moves adj_close / close (0.98 to 0.99) on its ex-date.
    ["DIVD", "2024-03-01", 100, 98, 0, 1],
    ["DIVD", "2024-03-04", 100, 99, 1, 1],
    // Christmas 2008: NYSE was closed, but before 2009 unscheduled closures are unknown and nothing is checked.
    ["OLD", "2008-12-24", 10, 10, 0, 1],
    ["OLD", "2008-12-25", 10, 10, 0, 1],
    // The lake's last day is 2024-03-04: five sessions behind is not stale yet, six is.
    ["FIVE", "2024-02-26", 10, 10, 0, 1],
    ["SIX", "2024-02-23", 10, 10, 0, 1],
    // Winter time: the session of 2024-03-01 closed at 21:00 UTC, so a fetch at 20:30 UTC got the day so far.
    ["EARLY", "2024-03-01", 10, 10, 0, 1, "2024-03-01T20:30:00Z"],
  ];
  for (const year of [2008, 2024]) {
    const mine = bars.filter((r) => r[1].startsWith(String(year))).sort((a, b) =>
      a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1
    );
    const b = emptyBatch(DAILY_BARS, mine.length);
    mine.forEach(([symbol, date, close, adj, dividend, split, fetched], i) => {
      const c = b.columns;
      [c.symbol[i], c.source[i], c.raw_ref[i]] = [symbol, "yahoo", rawRef];
      for (const k of ["open", "high", "low", "close"]) (c[k] as Float64Array)[i] = close;
      num(b, "date")[i] = isoToDays(date);
      num(b, "adj_close")[i] = adj;
      num(b, "volume")[i] = 1000;
      num(b, "dividend")[i] = dividend;
      num(b, "split_ratio")[i] = split;
      num(b, "ingested_at")[i] = Date.parse(fetched ?? `${date}T00:00:00Z`) + (fetched ? 0 : 86_400_000);
    });
    await store.put(layout.dailyBarsPartition(year), await engine.encode(b, DAILY_BARS));
  }
  const report = await audit(root);
  assert.deepEqual(
    report.findings.map((f) => `${f.check} ${f.symbol} ${f.date}`),
    ["unfinished_session EARLY 2024-03-01", "stale_symbol OLD 2008-12-25", "stale_symbol SIX 2024-02-23"],
  );
});

Deno.test("audit: an empty lake, and one holding only years before the recorded holidays, have nothing to report", async () => {
  const empty = await audit(await Deno.makeTempDir());
  assert.deepEqual([empty.bars, empty.errors, empty.warnings], [0, 0, 0]);
  const root = await Deno.makeTempDir();
  const store = createLocalStore(root);
  const rawRef = "raw/yahoo/chart_1d/dt=2008-12-31/OLD.json";
  await store.put(rawRef, "{}");
  const b = emptyBatch(DAILY_BARS, 2);
  ["2008-12-29", "2008-12-30"].forEach((date, i) => {
    const c = b.columns;
    [c.symbol[i], c.source[i], c.raw_ref[i]] = ["OLD", "yahoo", rawRef];
    for (const k of ["open", "high", "low", "close", "adj_close"]) (c[k] as Float64Array)[i] = 10;
    num(b, "date")[i] = isoToDays(date);
    num(b, "volume")[i] = 1000;
    num(b, "split_ratio")[i] = 1;
    num(b, "ingested_at")[i] = Date.parse("2008-12-31T00:00:00Z");
  });
  await store.put(layout.dailyBarsPartition(2008), await createWasmEngine().encode(b, DAILY_BARS));
  const old = await audit(root);
  assert.deepEqual([old.bars, old.errors, old.warnings], [2, 0, 0]);
});
