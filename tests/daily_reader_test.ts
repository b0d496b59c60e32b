/** The Parquet-engine readers (for Deno Deploy and the ingest) against the query API over DuckDB. */
import assert from "node:assert/strict";
import { lakeBases, readSymbolBars } from "../lake/daily_reader.ts";
import { createWasmEngine } from "../lake/parquet/wasm_engine.ts";
import { openLake } from "../lake/query.ts";
import { daysToIso, isoToDays } from "../lake/schemas/columns.ts";
import type { ObjectStore } from "../lake/store.ts";
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

Deno.test("lakeBases() gives each symbol's first day and its bars in the window, reading no partition past it", async () => {
  const { store, symbols } = await makeDemoLake();
  const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
  const engine = createWasmEngine();
  const opened: string[] = [];
  const watched: ObjectStore = { ...store, openRead: (key) => (opened.push(key), store.openRead(key)) };
  try {
    const [from, to] = ["2022-06-01", "2022-06-14"];
    const bases = await lakeBases(watched, engine, new Set([...symbols, "ZZZZ"]), isoToDays(from), isoToDays(to));
    assert.deepEqual([...bases.keys()].sort(), [...symbols].sort());
    for (const symbol of symbols) {
      const rows = await lake.sql<{ date: string; close: number; adj: number }>(
        `SELECT date::VARCHAR AS date, close::DOUBLE AS close, adj_close::DOUBLE AS adj FROM daily_bars
          WHERE symbol = ? ORDER BY date`,
        [symbol],
      );
      const basis = bases.get(symbol)!;
      assert.equal(daysToIso(basis.firstDay), rows[0].date, symbol);
      const inWindow = rows.filter((r) => r.date >= from && r.date <= to);
      assert.deepEqual(
        [...basis.bars].map(([day, bar]) => ({ date: daysToIso(day), ...bar })),
        inWindow,
        symbol,
      );
    }
    // ZZZZ is in no partition, so every year up to the window's is read; none after it.
    assert.deepEqual(opened.map((k) => k.match(/year=(\d+)/)![1]), ["2021", "2022"]);
  } finally {
    lake.close();
    engine.close();
  }
});
