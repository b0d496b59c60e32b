/** readSymbolBars() (the Parquet engine alone, for Deno Deploy) against the query API over DuckDB. */
import assert from "node:assert/strict";
import { readSymbolBars } from "../lake/daily_reader.ts";
import { createWasmEngine } from "../lake/parquet/wasm_engine.ts";
import { openLake } from "../lake/query.ts";
import { isoToDays } from "../lake/schemas/columns.ts";
import { makeDemoLake } from "./support/demo_lake.ts";

Deno.test("readSymbolBars() returns the query API's bars for the first, a middle and the last symbol, across years", async () => {
  const { store, symbols } = await makeDemoLake();
  const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
  const engine = createWasmEngine();
  try {
    const sorted = [...symbols].sort();
    for (const symbol of [sorted[0], sorted[2], sorted.at(-1)!, "ZZZZ"]) {
      for (
        const [start, end] of [["2021-01-04", "2024-12-31"], ["2022-12-30", "2023-01-04"], ["2024-06-10", "2024-06-10"]]
      ) {
        const want = (await lake.getDailyBars({ symbols: [symbol], start, end })).map((b) => ({
          date: b.date,
          open: b.open,
          high: b.high,
          low: b.low,
          close: b.close,
          adj_close: b.adj_close,
          volume: b.volume,
          dividend: b.dividend,
          split_ratio: b.split_ratio,
        }));
        const got = await readSymbolBars(store, engine, symbol, isoToDays(start), isoToDays(end));
        assert.deepEqual(got, want, `${symbol} ${start}..${end}`);
        if (symbol !== "ZZZZ") assert.ok(got.length > 0, `${symbol} ${start}..${end}`);
      }
    }
  } finally {
    lake.close();
    engine.close();
  }
});
