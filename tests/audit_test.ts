/** `deno task audit` over a lake ingested from the replay server, clean and then with one defect of each kind. */
import assert from "node:assert/strict";
import { layout } from "../lake/layout.ts";
import { createWasmEngine } from "../lake/parquet/wasm_engine.ts";
import { type Batch, daysToIso, isoToDays, num, str, takeRows } from "../lake/schemas/columns.ts";
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
