import assert from "node:assert/strict";
import { type Batch, concatBatches, emptyBatch, sliceBatch, takeRows } from "../../lake/schemas/columns.ts";
import { MINUTE_BARS } from "../../lake/schemas/minute_bars.ts";
import { mergeByKey, type MergeKey, mergeSortedStream, type SymbolRows } from "./merge_bars.ts";

const KEY: MergeKey = { spec: MINUTE_BARS, time: "ts", step: 60_000, values: ["open", "close", "volume"] };
const T0 = Date.UTC(2024, 2, 1, 14, 30);

/** A deterministic generator (mulberry32), so a failing case can be replayed from its seed. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Rows of `symbol` at the given minutes; `price` picks each row's value columns. */
function rows(symbol: string, minutes: number[], price: (m: number) => number, ref: string): Batch {
  const b = emptyBatch(MINUTE_BARS, minutes.length);
  minutes.forEach((m, i) => {
    (b.columns.symbol as string[])[i] = symbol;
    (b.columns.ts as Float64Array)[i] = T0 + m * 60_000;
    for (const c of ["open", "high", "low", "close", "vwap"]) (b.columns[c] as Float64Array)[i] = price(m);
    (b.columns.volume as Float64Array)[i] = 100 + m;
    (b.columns.raw_ref as string[])[i] = ref;
  });
  return b;
}

async function* pieces(b: Batch, sizes: () => number) {
  for (let at = 0; at < b.length;) {
    const end = Math.min(b.length, at + sizes());
    yield sliceBatch(b, at, end);
    at = end;
  }
}

async function* each<T>(items: T[]) {
  yield* items;
}

Deno.test("mergeSortedStream() equals mergeByKey() over the whole partition, for 25 random partitions", async () => {
  for (let seed = 1; seed <= 25; seed++) {
    const r = rng(seed);
    const symbols = ["A", "AA", "B", "BRK.B", "C", "MSFT", "Z"].filter(() => r() < 0.8);
    const minutes = () => [...new Set(Array.from({ length: Math.floor(r() * 40) }, () => Math.floor(r() * 60)))];
    const sorted = (ms: number[]) => [...ms].sort((a, b) => a - b);
    const existing = concatBatches(
      MINUTE_BARS,
      symbols.filter(() => r() < 0.7).map((s) => rows(s, sorted(minutes()), (m) => 10 + m, "raw/old")),
    );
    // Some symbols arrive: overlapping minutes (revised on odd minutes, identical on even ones)
    // and new ones, in any order within a symbol.
    const arriving: SymbolRows[] = symbols.filter(() => r() < 0.6).map((s) => ({
      symbol: s,
      batch: rows(s, minutes(), (m) => (m % 2 ? 20 + m : 10 + m), "raw/new"),
    }));
    const incoming = concatBatches(MINUTE_BARS, arriving.map((a) => a.batch));
    const want = mergeByKey(KEY, existing, incoming);

    const emitted: Batch[] = [];
    const got = await mergeSortedStream(
      KEY,
      pieces(existing, () => 1 + Math.floor(r() * 25)),
      each(arriving),
      (b) => Promise.resolve(void emitted.push(b)),
    );
    const out = concatBatches(MINUTE_BARS, emitted);
    if (arriving.length === 0) {
      assert.equal(out.length, 0, `seed ${seed}: nothing incoming, so nothing read or emitted`);
      continue;
    }
    assert.deepEqual(
      [got.inserted, got.updated, got.unchanged],
      [want.inserted, want.updated, want.unchanged],
      `seed ${seed}`,
    );
    if (got.inserted + got.updated === 0) {
      // Nothing changed: the partition stays, so what was emitted is only its head, as it was.
      assert.ok(got.rows === out.length && out.length <= want.batch.length, `seed ${seed}`);
      const head = sliceBatch(want.batch, 0, out.length);
      for (const { name } of MINUTE_BARS) assert.deepEqual(out.columns[name], head.columns[name], `seed ${seed}`);
      continue;
    }
    assert.equal(got.rows, want.batch.length);
    assert.equal(out.length, want.batch.length);
    for (let i = 0; i < out.length; i++) {
      for (const { name } of MINUTE_BARS) {
        assert.deepEqual(out.columns[name][i], want.batch.columns[name][i], `seed ${seed}, row ${i}, ${name}`);
      }
    }
  }
});

Deno.test("mergeSortedStream() with nothing incoming never reads the partition", async () => {
  const unreadable: AsyncIterable<Batch> = {
    [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error("the partition was read")) }),
  };
  const got = await mergeSortedStream(KEY, unreadable, each([]), () => Promise.resolve());
  assert.deepEqual(got, { inserted: 0, updated: 0, unchanged: 0, rows: 0 });
});

Deno.test("mergeSortedStream() whose last incoming symbol changed nothing reads no further, and lets go of the partition", async () => {
  const a = rows("A", [1, 2], (m) => 10 + m, "r"), b = rows("B", [1], () => 5, "r");
  let read = 0, released = false;
  const partition: AsyncIterable<Batch> = {
    [Symbol.asyncIterator]: () => ({
      next: () =>
        read++ < 2 ? Promise.resolve({ done: false, value: [a, b][read - 1] }) : Promise.reject(new Error("read on")),
      return: () => (released = true, Promise.resolve({ done: true, value: undefined })),
    }),
  };
  const got = await mergeSortedStream(KEY, partition, each([{ symbol: "A", batch: a }]), () => Promise.resolve());
  assert.deepEqual([got.inserted, got.updated, got.unchanged, read, released], [0, 0, 2, 2, true]);
});

Deno.test("mergeSortedStream() refuses symbols out of order and a partition not sorted by symbol", async () => {
  const a = { symbol: "A", batch: rows("A", [1], () => 1, "r") };
  const b = { symbol: "B", batch: rows("B", [1], () => 1, "r") };
  const none = each<Batch>([]);
  await assert.rejects(
    mergeSortedStream(KEY, none, each([b, a]), () => Promise.resolve()),
    /'A' arrived after 'B'; symbols must ascend/,
  );
  const unsorted = concatBatches(MINUTE_BARS, [rows("C", [1], () => 1, "r"), rows("B", [1], () => 1, "r")]);
  await assert.rejects(
    mergeSortedStream(KEY, each([unsorted]), each([a]), () => Promise.resolve()),
    /not sorted by symbol/,
  );
});

Deno.test("mergeByKey(): a row from an older reply never replaces one from a newer reply", () => {
  const key: MergeKey = { ...KEY, fetched: "ingested_at" };
  const stamped = (b: Batch, fetched: number) => ((b.columns.ingested_at as Float64Array).fill(fetched), b);
  const existing = stamped(rows("AAPL", [0, 1, 2], (m) => 100 + m, "raw/newer"), 200_000);
  const revised = (fetched: number, ref: string) => stamped(rows("AAPL", [1, 3], (m) => 200 + m, ref), fetched);

  // A run resumed after a newer one: its revised minute 1 is older, and kept out; its new minute 3 lands.
  const stale = mergeByKey(key, existing, revised(100_000, "raw/older"));
  assert.deepEqual([stale.inserted, stale.updated, stale.unchanged], [1, 0, 1]);
  assert.deepEqual(stale.batch.columns.raw_ref, ["raw/newer", "raw/newer", "raw/newer", "raw/older"]);
  assert.deepEqual([...(stale.batch.columns.close as Float64Array)], [100, 101, 102, 203]);

  // Fetched at the same time (a rebuild parsing the same reply again, after a parser fix), later, or
  // less than a minute earlier (an older lake stamped its staging time, after the fetch): it wins.
  for (const fetched of [200_000, 300_000, 150_000]) {
    const fresh = mergeByKey(key, existing, revised(fetched, "raw/fix"));
    assert.deepEqual([fresh.inserted, fresh.updated, fresh.unchanged], [1, 1, 0], String(fetched));
    assert.equal((fresh.batch.columns.close as Float64Array)[1], 201);
  }
  // Without the column named, order alone decides, as before.
  assert.equal(mergeByKey(KEY, existing, revised(100_000, "raw/older")).updated, 1);
});

Deno.test("mergeByKey() of two batches in key order equals the sorting merge, and hands back the partition when nothing changed", () => {
  const key: MergeKey = { ...KEY, fetched: "ingested_at" };
  for (let seed = 1; seed <= 40; seed++) {
    const r = rng(seed);
    const symbols = ["A", "AA", "B", "BRK.B", "C"].filter(() => r() < 0.8);
    const minutes = () =>
      [...new Set(Array.from({ length: Math.floor(r() * 30) }, () => Math.floor(r() * 50)))].sort((a, b) => a - b);
    const stamp = (b: Batch, at: number) => ((b.columns.ingested_at as Float64Array).fill(at), b);
    const existing = stamp(
      concatBatches(MINUTE_BARS, symbols.filter(() => r() < 0.7).map((s) => rows(s, minutes(), (m) => 10 + m, "old"))),
      200_000,
    );
    // Revised on odd minutes, identical on even ones; some from a reply older than the partition's.
    const incoming = stamp(
      concatBatches(
        MINUTE_BARS,
        symbols.filter(() => r() < 0.6).map((s) => rows(s, minutes(), (m) => (m % 2 ? 20 + m : 10 + m), "new")),
      ),
      r() < 0.3 ? 100_000 : 300_000,
    );
    const ordered = mergeByKey(key, existing, incoming);
    // The same rows shuffled take the sorting path.
    const shuffled = Array.from({ length: incoming.length }, (_, i) => i).sort(() => r() - 0.5);
    const sorting = mergeByKey(key, existing, takeRows(incoming, shuffled));
    const counts = (m: typeof ordered) => [m.inserted, m.updated, m.unchanged];
    assert.deepEqual(counts(ordered), counts(sorting), `seed ${seed}`);
    for (const { name } of MINUTE_BARS) {
      assert.deepEqual([...ordered.batch.columns[name]], [...sorting.batch.columns[name]], `seed ${seed}, ${name}`);
    }
    if (ordered.inserted + ordered.updated === 0) assert.equal(ordered.batch, existing, `seed ${seed}: not copied`);
  }
});

Deno.test("mergeByKey() sorts rows too far apart, or off the step, to pack into one number, and the last duplicate still wins", () => {
  // 70,000 minutes (past 2^16 steps), and a timestamp 30 s off the minute grid, out of order.
  for (const far of [70_000, 0.5]) {
    const incoming = concatBatches(MINUTE_BARS, [
      rows("B", [far, 0], (m) => m, "raw/1"),
      rows("A", [far, 3, 3], (m) => m, "raw/1"),
      rows("A", [3], () => 99, "raw/2"),
    ]);
    const merged = mergeByKey(KEY, emptyBatch(MINUTE_BARS), incoming);
    const c = merged.batch.columns;
    const out = Array.from({ length: merged.batch.length }, (_, i) => [c.symbol[i], (c.ts as Float64Array)[i] - T0]);
    const minutesOf = [3, far].sort((a, b) => a - b);
    assert.deepEqual(out, [
      ["A", minutesOf[0] * 60_000],
      ["A", minutesOf[1] * 60_000],
      ["B", 0],
      ["B", far * 60_000],
    ], `far = ${far}`);
    assert.equal((c.close as Float64Array)[out.findIndex(([s, t]) => s === "A" && t === 3 * 60_000)], 99);
  }
});

Deno.test("mergeByKey() sorts more symbols than a packed number can rank (40,000)", () => {
  const names = Array.from({ length: 40_000 }, (_, i) => `S${String(i).padStart(5, "0")}`);
  const r = rng(7);
  const shuffled = names.map((s) => [r(), s] as const).sort((a, b) => a[0] - b[0]).map(([, s]) => s);
  const incoming = concatBatches(MINUTE_BARS, shuffled.map((s) => rows(s, [1], () => Number(s.slice(1)), "raw/1")));
  const { batch } = mergeByKey(KEY, emptyBatch(MINUTE_BARS), incoming);
  assert.deepEqual(batch.columns.symbol, names);
  assert.deepEqual(Array.from(batch.columns.close as Float64Array), names.map((_, i) => i));
});
