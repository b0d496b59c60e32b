// deno-lint-ignore-file no-explicit-any
import assert from "node:assert/strict";
import { DAILY_BARS } from "../schemas/daily_bars.ts";
import { type Batch, concatBatches, emptyBatch, sliceBatch } from "../schemas/columns.ts";
import { bytesCollector, bytesReader, type ObjectReader } from "../store.ts";
import { createDuckDbEngine } from "./duckdb_engine.ts";
import { createWasmEngine } from "./wasm_engine.ts";

const list = (c: unknown) => Array.from(c as ArrayLike<unknown>);

function sampleBars(n: number) {
  const b = emptyBatch(DAILY_BARS, n);
  const c = Object.fromEntries(DAILY_BARS.map((s) => [s.name, b.columns[s.name]])) as Record<string, any>;
  for (let i = 0; i < n; i++) {
    c.symbol[i] = i < n / 2 ? "AAPL" : "BRK.B";
    c.date[i] = 18000 + i;
    c.open[i] = 100.1234 + i;
    c.high[i] = 101.5 + i;
    c.low[i] = 99.0001 + i;
    c.close[i] = 100.5 + i;
    c.adj_close[i] = 98.7654 + i;
    c.volume[i] = 123_456_789_012 + i;
    c.dividend[i] = i === 3 ? 0.205 : 0;
    c.split_ratio[i] = i === 5 ? 4 : 1;
    c.source[i] = "yahoo";
    c.ingested_at[i] = Date.UTC(2026, 10, 24, 12, 0, 0, 123);
    c.raw_ref[i] = `raw/yahoo/chart_1d/dt=2026-11-24/X_${i}.json`;
  }
  return b;
}

for (const engine of [createWasmEngine(), createDuckDbEngine()]) {
  Deno.test(`${engine.name} engine: encode() then decode() returns the same daily bars`, async () => {
    const b = sampleBars(10);
    const back = await engine.decode(await engine.encode(b, DAILY_BARS), DAILY_BARS);
    assert.equal(back.length, 10);
    for (const { name } of DAILY_BARS) assert.deepEqual(list(back.columns[name]), list(b.columns[name]), name);
  });

  Deno.test(`${engine.name} engine: strings come back whole in runs, after nulls and between values of one length`, async () => {
    const values = [
      "AAPL",
      "AAPL",
      null,
      "AAPL",
      "MSFT",
      "MSFT",
      "BRK.B",
      "",
      "",
      "Société",
      "Société",
      "Sociétf",
      null,
      "raw/AAPL_1001_x",
      "raw/AAPL_1001_x",
      "raw/AAPL_2001_x", // differs inside the third four-byte word (byte 9)
    ];
    const spec = [{ name: "s", type: "varchar", nullable: true }] as const;
    const b = { length: values.length, columns: { s: values } };
    const pieces: Batch[] = [];
    for await (const p of engine.decodePieces(bytesReader(await engine.encode(b, spec, { rowGroupSize: 4 })), spec)) {
      pieces.push(p);
    }
    assert.deepEqual(concatBatches(spec, pieces).columns.s, values);
    assert.deepEqual((await engine.decode(await engine.encode(b, spec), spec)).columns.s, values);
  });

  Deno.test(`${engine.name} engine: decode() and decodePieces() of a subset of the columns return just those`, async () => {
    const b = sampleBars(20);
    const bytes = await engine.encode(b, DAILY_BARS, { rowGroupSize: 8 });
    const some = DAILY_BARS.filter((c) => ["symbol", "close", "volume"].includes(c.name));
    const whole = await engine.decode(bytes, some);
    const pieces: Batch[] = [];
    for await (const p of engine.decodePieces(bytesReader(bytes), some)) pieces.push(p);
    for (const back of [whole, concatBatches(some, pieces)]) {
      assert.deepEqual(Object.keys(back.columns).sort(), ["close", "symbol", "volume"]);
      for (const { name } of some) assert.deepEqual(list(back.columns[name]), list(b.columns[name]), name);
    }
  });

  Deno.test(`${engine.name} engine: encode() keeps nulls in nullable columns`, async () => {
    const spec = [{ name: "s", type: "varchar" }, { name: "d", type: "date" }, {
      name: "x",
      type: "decimal(18,4)",
    }] as const;
    const bytes = await engine.encode(
      { length: 2, columns: { s: ["a", null], d: new Float64Array([NaN, 1]), x: new Float64Array([NaN, -2.5]) } },
      spec,
    );
    const back = await engine.decode(bytes, spec);
    assert.deepEqual(back.columns.s, ["a", null]);
    assert.deepEqual(list(back.columns.d), [NaN, 1]);
    assert.deepEqual(list(back.columns.x), [NaN, -2.5]);
  });

  Deno.test(`${engine.name} engine: sink() takes pieces of any size, decodePieces() gives the rows back in order`, async () => {
    const b = sampleBars(5000);
    const out = bytesCollector();
    const sink = engine.sink(DAILY_BARS, out, { rowGroupSize: 64 });
    for (const [from, to] of [[0, 0], [0, 3], [3, 3], [3, 200], [200, 201], [201, 5000]]) {
      await sink.append(sliceBatch(b, from, to));
    }
    await sink.finish();
    const bytes = out.bytes();
    const pieces: Batch[] = [];
    for await (const p of engine.decodePieces(bytesReader(bytes), DAILY_BARS)) pieces.push(p);
    assert.ok(pieces.length > 1, `${pieces.length} pieces`);
    assert.ok(pieces.every((p) => p.length <= 2048), "one row group, or one reader chunk, a piece");
    const back = concatBatches(DAILY_BARS, pieces);
    assert.equal(back.length, 5000);
    for (const { name } of DAILY_BARS) assert.deepEqual(list(back.columns[name]), list(b.columns[name]), name);
    assert.deepEqual(list((await engine.decode(bytes, DAILY_BARS)).columns.date), list(b.columns.date));
  });

  Deno.test(`${engine.name} engine: decodePieces() reads to the end while a sink is written between its pieces`, async () => {
    // The ingest's pattern: one partition read piece by piece while the new one is written.
    const b = sampleBars(5000);
    const bytes = await engine.encode(b, DAILY_BARS, { rowGroupSize: 1000 });
    const out = bytesCollector();
    const sink = engine.sink(DAILY_BARS, out);
    let rows = 0;
    for await (const p of engine.decodePieces(bytesReader(bytes), DAILY_BARS)) {
      rows += p.length;
      await sink.append(p);
    }
    assert.equal(rows, 5000);
    await sink.finish();
    assert.equal((await engine.decode(out.bytes(), DAILY_BARS)).length, 5000);
  });

  Deno.test(`${engine.name} engine: a discarded sink (discarded twice) leaves nothing behind for the next one`, async () => {
    const dropped = engine.sink(DAILY_BARS, bytesCollector());
    await dropped.append(sampleBars(5));
    await dropped.discard();
    await dropped.discard();
    const out = bytesCollector();
    const kept = engine.sink(DAILY_BARS, out);
    await kept.append(sampleBars(2));
    await kept.finish();
    assert.equal((await engine.decode(out.bytes(), DAILY_BARS)).length, 2);
  });
}

/** A reader that remembers the largest range asked of it. */
function watchedReader(bytes: Uint8Array): ObjectReader & { largest: number } {
  const inner = bytesReader(bytes);
  const r = {
    ...inner,
    largest: 0,
    read: (a: number, b: number) => (r.largest = Math.max(r.largest, b - a), inner.read(a, b)),
  };
  return r;
}

Deno.test("wasm engine: decodePieces() reads a file in ranges, not whole, and its sink writes row groups as they fill", async () => {
  const engine = createWasmEngine();
  const b = sampleBars(20_000);
  const out = bytesCollector();
  let beforeFinish = 0;
  const sink = engine.sink(DAILY_BARS, { write: (c) => (beforeFinish += c.length, out.write(c)) }, {
    rowGroupSize: 500,
  });
  for (let at = 0; at < b.length; at += 1000) await sink.append(sliceBatch(b, at, at + 1000));
  const written = beforeFinish;
  await sink.finish();
  const bytes = out.bytes();
  const footer = new DataView(bytes.buffer).getUint32(bytes.length - 8, true) + 8;
  assert.equal(written, bytes.length - footer, "every row group out before finish(); the footer after");
  const reader = watchedReader(bytes);
  let rows = 0;
  for await (const p of engine.decodePieces(reader, DAILY_BARS)) rows += p.length;
  assert.equal(rows, 20_000);
  // 40 row groups: no read may be larger than the footer or about one group.
  const bound = Math.max(footer, bytes.length / 20);
  assert.ok(reader.largest <= bound, `largest read ${reader.largest} of ${bytes.length} bytes`);
});

Deno.test("wasm and duckdb engines read each other's files", async () => {
  const b = sampleBars(6);
  const wasm = createWasmEngine(), duck = createDuckDbEngine();
  const a = await duck.decode(await wasm.encode(b, DAILY_BARS), DAILY_BARS);
  const c = await wasm.decode(await duck.encode(b, DAILY_BARS), DAILY_BARS);
  assert.deepEqual(list(a.columns.close), list(b.columns.close));
  assert.deepEqual(list(c.columns.ingested_at), list(b.columns.ingested_at));
  assert.deepEqual(c.columns.symbol, b.columns.symbol);
});
