import assert from "node:assert/strict";
import { layout } from "../../lake/layout.ts";
import { createDuckDbEngine } from "../../lake/parquet/duckdb_engine.ts";
import { createWasmEngine } from "../../lake/parquet/wasm_engine.ts";
import { type Batch, emptyBatch, isoToDays } from "../../lake/schemas/columns.ts";
import { DAILY_BARS } from "../../lake/schemas/daily_bars.ts";
import { createLocalStore } from "../../lake/store_local.ts";
import { mergeDailyStream } from "../stages/curate_daily_bars.ts";
import { curateDailyBars, curateStaged } from "./curate_daily.ts";
import { mergeIntoPartition } from "./merge_partition.ts";

/** One symbol's staged bars on every weekday of [from, to]; `bump` revises the prices of some days. */
function staged(symbol: string, from: string, to: string, ref: string, bump = (_day: number) => 0): Batch {
  const days: number[] = [];
  for (let d = isoToDays(from); d <= isoToDays(to); d++) if (new Date(d * 86_400_000).getUTCDay() % 6) days.push(d);
  const b = emptyBatch(DAILY_BARS, days.length);
  const c = b.columns as Record<string, Float64Array> & Record<"symbol" | "source" | "raw_ref", string[]>;
  days.forEach((d, i) => {
    const p = 100 + (d % 17) + bump(d);
    [c.symbol[i], c.date[i], c.open[i], c.high[i], c.low[i], c.close[i], c.adj_close[i]] = [
      symbol,
      d,
      p,
      p + 1,
      p - 1,
      p,
      p,
    ];
    [c.volume[i], c.dividend[i], c.split_ratio[i], c.source[i], c.raw_ref[i]] = [1000 + d, 0, 1, "simulated", ref];
    c.ingested_at[i] = 0;
  });
  return b;
}

for (const engine of [createWasmEngine(), createDuckDbEngine()]) {
  Deno.test(`curateStaged() (${engine.name} engine) gives the partitions and counts that curateDailyBars() gives`, async () => {
    // The lake before: two symbols over a year end. The load: one of them revised on some days,
    // two new symbols sorting before, between and after them, and one with nothing new.
    const before = [
      staged("BBB", "2023-12-01", "2024-01-31", "raw/1"),
      staged("DDD", "2023-12-01", "2024-01-31", "raw/1"),
    ];
    const load = [
      staged("ZZZ", "2024-01-02", "2024-02-15", "raw/2"),
      staged("BBB", "2024-01-10", "2024-02-15", "raw/2", (d) => (d % 3 === 0 ? 0.5 : 0)),
      staged("AAA", "2023-12-20", "2024-01-05", "raw/2"),
      staged("CCC", "2023-11-01", "2023-12-29", "raw/2"),
      staged("DDD", "2024-01-02", "2024-01-31", "raw/2"),
    ];
    const lakes = await Promise.all([Deno.makeTempDir(), Deno.makeTempDir()]);
    for (const root of lakes) await curateDailyBars(createLocalStore(root), engine, [...before]);

    const whole = await curateDailyBars(createLocalStore(lakes[0]), engine, [...load]);
    const store = createLocalStore(lakes[1]);
    const keys: string[] = [];
    for (const b of load) {
      const key = layout.staging("daily_bars", "L", String(b.columns.symbol[0]));
      await store.put(key, await engine.encode(b, DAILY_BARS));
      keys.push(key);
    }
    const streamed = await curateStaged(store, engine, keys);
    assert.deepEqual(streamed, { ...whole, bars: load.reduce((n, b) => n + b.length, 0), years: [2023, 2024] });
    assert.ok(whole.updated > 0 && whole.unchanged > 0 && whole.inserted > 0, JSON.stringify(whole));
    for (const year of [2023, 2024]) {
      const [a, b] = await Promise.all(
        lakes.map(async (root) =>
          engine.decode((await createLocalStore(root).get(layout.dailyBarsPartition(year)))!, DAILY_BARS)
        ),
      );
      assert.equal(b.length, a.length, `${year}: rows`);
      for (const { name } of DAILY_BARS) {
        for (let i = 0; i < a.length; i++) {
          assert.equal(b.columns[name][i], a.columns[name][i], `${year} ${name} row ${i}`);
        }
      }
    }
  });
}

Deno.test("curateStaged() fails when a partition cannot be written, leaves only whole files, and a rerun completes", async () => {
  const root = await Deno.makeTempDir();
  const local = createLocalStore(root);
  const engine = createWasmEngine();
  const keys: string[] = [];
  for (const s of ["AAA", "BBB"]) {
    const key = layout.staging("daily_bars", "L", s);
    await local.put(key, await engine.encode(staged(s, "2023-12-01", "2024-01-31", "raw/1"), DAILY_BARS));
    keys.push(key);
  }
  // The 2023 partition's writer runs out of space as its bytes stream in.
  const full = {
    ...local,
    openWrite(key: string) {
      const w = local.openWrite(key);
      if (key !== layout.dailyBarsPartition(2023)) return w;
      return { ...w, write: () => Promise.reject(new Deno.errors.WriteZero("No space left on device (os error 28)")) };
    },
  };
  await assert.rejects(curateStaged(full, engine, keys), /No space left on device/);
  for (const o of await local.list("curated/")) {
    const bytes = (await local.get(o.key))!;
    assert.deepEqual([...bytes.slice(0, 4)], [...bytes.slice(-4)], `${o.key} is a whole Parquet file`);
  }
  // A merge done before the failure reached it may have committed its partition (whole): the rerun
  // finds those rows there and lands the rest.
  const again = await curateStaged(local, engine, keys);
  assert.equal(again.inserted + again.unchanged, 2 * 44, "a rerun curates the whole load");
  assert.equal(again.updated, 0);
});

for (const engine of [createWasmEngine(), createDuckDbEngine()]) {
  Deno.test(`a merge (${engine.name} engine) that changes nothing opens no writer, however large; one whose first change comes late writes the rows it passed before it`, async () => {
    const root = await Deno.makeTempDir();
    const local = createLocalStore(root);
    // 40 symbols of 2024: more rows than one row group, so the unchanged rows before S39 span pieces.
    const symbols = Array.from({ length: 40 }, (_, i) => `S${String(i).padStart(2, "0")}`);
    const keys: string[] = [];
    for (const s of symbols) {
      const key = layout.staging("daily_bars", "L", s);
      await local.put(key, await engine.encode(staged(s, "2024-01-01", "2024-12-31", "raw/1"), DAILY_BARS));
      keys.push(key);
    }
    await curateStaged(local, engine, keys);
    const opened: string[] = [];
    const watched = { ...local, openWrite: (key: string) => (opened.push(key), local.openWrite(key)) };
    const again = await curateStaged(watched, engine, keys);
    assert.deepEqual([again.partitions_written, opened], [0, []], "a rerun opens no writer");

    const key = layout.dailyBarsPartition(2024);
    const before = await local.get(key);
    const revise = (symbol: string, bump: (d: number) => number) =>
      mergeIntoPartition(
        { store: watched, engine },
        key,
        DAILY_BARS,
        mergeDailyStream,
        (async function* () {
          yield { symbol, batch: staged(symbol, "2024-01-01", "2024-12-31", "raw/2", bump) };
        })(),
      );
    const same = await revise("S39", () => 0);
    assert.deepEqual([same.written, same.unchanged, opened], [false, 262, []]);
    assert.deepEqual(await local.get(key), before);

    // S39 is last: the 39 symbols before it passed through before the change, and must be written.
    const changed = isoToDays("2024-12-10");
    const revised = await revise("S39", (d) => d === changed ? 0.5 : 0);
    assert.deepEqual([revised.written, revised.updated, revised.rows, opened], [true, 1, 40 * 262, [key]]);
    const rows = await engine.decode((await local.get(key))!, DAILY_BARS);
    assert.equal(rows.length, 40 * 262);
    const sym = rows.columns.symbol as string[], date = rows.columns.date as Float64Array;
    const close = rows.columns.close as Float64Array, ref = rows.columns.raw_ref as string[];
    assert.deepEqual([...new Set(sym)], symbols, "every symbol, in order");
    for (let i = 0; i < rows.length; i++) {
      const revisedRow = sym[i] === "S39" && date[i] === changed;
      assert.equal(ref[i], revisedRow ? "raw/2" : "raw/1", `${sym[i]} ${date[i]}`);
      assert.equal(close[i], 100 + (date[i] % 17) + (revisedRow ? 0.5 : 0));
    }
    assert.deepEqual([...Deno.readDirSync(`${root}/curated/daily_bars/year=2024`)].map((e) => e.name), [
      "data.parquet",
    ]);
  });
}
