import assert from "node:assert/strict";
import { createWasmEngine } from "../../lake/parquet/wasm_engine.ts";
import { createLocalStore } from "../../lake/store_local.ts";
import { writeSymbolMaster } from "../../lake/symbols_table.ts";
import { symbolRow } from "../../tests/support/symbol_rows.ts";
import { planToday } from "./daily_plan.ts";
import { runDailyClose } from "./daily_close.ts";
import { loadConfig } from "../../config.ts";
import { getJson } from "../../lake/store.ts";
import { silentLogger } from "../log.ts";
import { startReplayServer } from "../replay/server.ts";

const row = (symbol: string, status: "active" | "delisted" = "active") => symbolRow(symbol, { status });

Deno.test("planToday() puts the S&P 500 and the watchlist first and rotates the rest from a persisted cursor", async () => {
  const store = createLocalStore(await Deno.makeTempDir());
  const engine = createWasmEngine();
  const tail = Array.from({ length: 30 }, (_, i) => `Z${String(i).padStart(3, "0")}`);
  await writeSymbolMaster(store, engine, [...tail.map((s) => row(s)), row("GONE", "delisted"), row("AAPL")]);
  const watchlist = await Deno.makeTempFile();
  await Deno.writeTextFile(watchlist, "# mine\nBRK-B\nGME\n");
  const day1 = await planToday({ store, engine, budget: 503 + 1 + 10, watchlist });
  assert.equal(day1.symbols.length, 514);
  assert.ok(day1.symbols.slice(0, 503).includes("AAPL"));
  assert.deepEqual(day1.symbols.slice(503, 504), ["GME"], "BRK.B is already in tier A");
  assert.deepEqual(day1.symbols.slice(504), tail.slice(0, 10));
  assert.ok(!day1.symbols.includes("GONE"));
  assert.equal(day1.rotationDays, 3);
  await day1.commit();
  const day2 = await planToday({ store, engine, budget: 514, watchlist });
  assert.deepEqual(day2.symbols.slice(504), tail.slice(10, 20));
  const ndx = await Deno.makeTempFile();
  await Deno.writeTextFile(ndx, "AAPL\nZ029\n");
  const withNdx = await planToday({ store, engine, budget: 514, watchlist, nasdaq100: ndx });
  assert.ok(withNdx.symbols.slice(0, 504).includes("Z029"), "a Nasdaq-100 member is tier A");
  const short = await planToday({ store, engine, budget: 100, watchlist });
  assert.match(short.shortfall!.message, /covers 100 of 504/);
});

Deno.test("runDailyClose() moves the rotation on after a whole run, not after a stopped one", async () => {
  const replay = await startReplayServer({ port: 0, hostname: "127.0.0.1" });
  try {
    const root = await Deno.makeTempDir();
    const store = createLocalStore(root);
    await writeSymbolMaster(store, createWasmEngine(), Array.from({ length: 12 }, (_, i) => row(`Z${i}`)));
    const config = loadConfig({
      TICKLAKE_LAKE: root,
      TICKLAKE_YAHOO_URL: replay.url,
      TICKLAKE_RATE_LIMITS: "yahoo:1000/s",
      TICKLAKE_DAILY_BUDGET: String(503 + 4),
    });
    const cursor = async () => (await getJson<{ cursor: number }>(store, "state/daily_cursor.json"))?.cursor;
    const stop = new AbortController();
    stop.abort();
    const stopped = await runDailyClose(config, { log: silentLogger, stop: stop.signal });
    assert.equal(stopped.symbols_pending, 507);
    assert.equal(await cursor(), undefined, "the rotation stays for tomorrow");
    const whole = await runDailyClose(config, { log: silentLogger });
    assert.deepEqual([whole.symbols_ok, whole.symbols_pending], [507, 0]);
    assert.equal(await cursor(), 4);
  } finally {
    await replay.close();
  }
});
