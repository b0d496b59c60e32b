import assert from "node:assert/strict";
import { createWasmEngine } from "../../lake/parquet/wasm_engine.ts";
import { createLocalStore } from "../../lake/store_local.ts";
import { writeSymbolMaster } from "../../lake/symbols_table.ts";
import { symbolRow } from "../../tests/support/symbol_rows.ts";
import { planToday } from "./daily_plan.ts";

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
