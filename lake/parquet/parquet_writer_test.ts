/**
 * The writer is checked by two independent readers: DuckDB (native, what queries use) and
 * parquet-wasm (what the portable engine decodes with). Every value must come back exactly.
 */
import assert from "node:assert/strict";
import { DuckDBInstance } from "@duckdb/node-api";
import type { Batch, TableSpec } from "../schemas/columns.ts";
import { packBatch } from "../schemas/packed.ts";
import { assembleParquet, encodeRowGroups, writeParquet } from "./parquet_writer.ts";
import { createWasmEngine } from "./wasm_engine.ts";

const SPEC: TableSpec = [
  { name: "s", type: "varchar" },
  { name: "d", type: "date" },
  { name: "p", type: "decimal(18,4)" },
  { name: "v", type: "bigint" },
  { name: "x", type: "double" },
  { name: "t", type: "timestamp" },
  { name: "r", type: "varchar", statistics: false },
];

/** Deterministic rows that reach the writer's edges: nulls, runs, wide deltas, many distinct values. */
function sample(n: number, seed = 1): Batch {
  let state = seed;
  const rand = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const s = [], r = [];
  const d = new Float64Array(n), p = new Float64Array(n), v = new Float64Array(n);
  const x = new Float64Array(n), t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s.push(i % 41 === 40 ? null : `S${Math.floor(i / 9)}${i % 3 ? "" : "é✓"}`);
    r.push(`raw/yahoo/${Math.floor(i / 300)}.json`);
    d[i] = i % 53 === 7 ? NaN : -1000 + i * 3;
    // Mostly small steps, with jumps needing 30 to 50 bits, and negative values.
    p[i] = i % 97 === 11 ? NaN : Math.round((rand() - 0.3) * (i % 31 === 0 ? 1e11 : 500) * 1e4) / 1e4;
    v[i] = i % 64 === 5 ? -(2 ** 50) + i : Math.floor(rand() * 2 ** 40);
    x[i] = i % 5 === 0 ? rand() : 1;
    t[i] = Date.UTC(2026, 10, 24) + i * 1000 + (i % 7);
  }
  return { length: n, columns: { s, d, p, v, x, t, r } };
}

async function duckdbRows(bytes: Uint8Array): Promise<Record<string, unknown>[]> {
  const path = await Deno.makeTempFile({ suffix: ".parquet" });
  await Deno.writeFile(path, bytes);
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  try {
    const reader = await c.runAndReadAll(
      `SELECT s, (d - DATE '1970-01-01')::DOUBLE AS d, p::DOUBLE AS p, v::DOUBLE AS v, x,
        epoch_ms(t)::DOUBLE AS t, r FROM read_parquet('${path}')`,
    );
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    c.closeSync();
    await Deno.remove(path);
  }
}

function assertSameRows(rows: Record<string, unknown>[], b: Batch, label: string) {
  assert.equal(rows.length, b.length, `${label}: row count`);
  for (const { name } of SPEC) {
    const col = b.columns[name];
    for (let i = 0; i < b.length; i++) {
      const want = col instanceof Float64Array ? (Number.isNaN(col[i]) ? null : col[i]) : col[i];
      assert.equal(rows[i][name], want, `${label}: ${name}[${i}]`);
    }
  }
}

for (const [rows, rowGroupSize] of [[0, 100], [1, 100], [129, 128], [1000, 7], [5000, 8192]]) {
  Deno.test(`writeParquet(): ${rows} rows in groups of ${rowGroupSize} read back exactly by DuckDB and parquet-wasm`, async () => {
    const b = sample(rows);
    const bytes = writeParquet(packBatch(b), SPEC, { rowGroupSize });
    assertSameRows(await duckdbRows(bytes), b, "duckdb");
    const back = await createWasmEngine().decode(bytes, SPEC);
    for (const { name } of SPEC) {
      const list = (c: unknown) => Array.from(c as ArrayLike<unknown>);
      assert.deepEqual(list(back.columns[name]), list(b.columns[name]), `parquet-wasm: ${name}`);
    }
  });
}

Deno.test("writeParquet(): all-null columns, one-value dictionaries and long runs", async () => {
  const n = 300;
  const b: Batch = {
    length: n,
    columns: {
      s: new Array(n).fill(null),
      d: new Float64Array(n).fill(NaN),
      p: new Float64Array(n).fill(12.5),
      v: new Float64Array(n).fill(7),
      x: new Float64Array(n).fill(NaN),
      t: new Float64Array(n).fill(0),
      r: new Array(n).fill("only"),
    },
  };
  assertSameRows(await duckdbRows(writeParquet(packBatch(b), SPEC, { rowGroupSize: 100 })), b, "duckdb");
});

Deno.test("writeParquet(): numbers that repeat (dividends) take a dictionary, the rest deltas, read back by both readers", async () => {
  const n = 2000;
  const b = sample(n, 9);
  // Like a dividend column: mostly 0, a few amounts, some nulls.
  const p = b.columns.p as Float64Array;
  for (let i = 0; i < n; i++) p[i] = i % 250 === 3 ? NaN : i % 63 === 0 ? [0.24, 0.5, 1.125][i % 3] : 0;
  const bytes = writeParquet(packBatch(b), SPEC, { rowGroupSize: 1000 });
  assertSameRows(await duckdbRows(bytes), b, "duckdb");
  const back = await createWasmEngine().decode(bytes, SPEC);
  assert.deepEqual(Array.from(back.columns.p as Float64Array), Array.from(p), "parquet-wasm");
  const path = await Deno.makeTempFile({ suffix: ".parquet" });
  await Deno.writeFile(path, bytes);
  const c = await (await DuckDBInstance.create(":memory:")).connect();
  try {
    const encodings = (await c.runAndReadAll(
      `SELECT path_in_schema AS col, string_agg(DISTINCT encodings) AS enc FROM parquet_metadata('${path}') GROUP BY 1`,
    )).getRowObjectsJS();
    const of = (col: string) => String(encodings.find((e) => e.col === col)?.enc);
    assert.match(of("p"), /RLE_DICTIONARY/);
    assert.match(of("v"), /DELTA_BINARY_PACKED/);
    assert.doesNotMatch(of("v"), /DICTIONARY/);
  } finally {
    c.closeSync();
    await Deno.remove(path);
  }
});

Deno.test("writeParquet(): row-group statistics give each group's min and max, so readers can prune", async () => {
  const b = sample(1000);
  const path = await Deno.makeTempFile({ suffix: ".parquet" });
  await Deno.writeFile(path, writeParquet(packBatch(b), SPEC, { rowGroupSize: 250 }));
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  try {
    const stats = (await c.runAndReadAll(
      `SELECT row_group_id::INTEGER AS g, path_in_schema AS col, stats_min_value AS lo, stats_max_value AS hi,
        stats_null_count::INTEGER AS nulls FROM parquet_metadata('${path}') ORDER BY g, col`,
    )).getRowObjectsJS();
    const expect = (col: string, g: number) => {
      const vals = Array.from(b.columns[col].slice(g * 250, g * 250 + 250) as Float64Array);
      const present = vals.filter((v) => !Number.isNaN(v));
      return { present, nulls: vals.length - present.length };
    };
    for (let g = 0; g < 4; g++) {
      const d = stats.find((s) => s.g === g && s.col === "d")!;
      const { present, nulls } = expect("d", g);
      const iso = (day: number) => new Date(day * 86_400_000).toISOString().slice(0, 10);
      assert.deepEqual([d.lo, d.hi, d.nulls], [iso(Math.min(...present)), iso(Math.max(...present)), nulls]);
      const v = stats.find((s) => s.g === g && s.col === "v")!;
      const vs = expect("v", g).present;
      assert.deepEqual([Number(v.lo), Number(v.hi)], [Math.min(...vs), Math.max(...vs)]);
      const r = stats.find((s) => s.g === g && s.col === "r")!;
      assert.deepEqual([r.lo, r.hi], [null, null], "raw_ref-like columns carry no min/max");
    }
    const s0 = stats.find((s) => s.g === 0 && s.col === "s")!;
    const strings = (b.columns.s as (string | null)[]).slice(0, 250).filter((x): x is string => x !== null);
    const utf8 = new TextEncoder();
    const byBytes = (a: string, z: string) => {
      const [x, y] = [utf8.encode(a), utf8.encode(z)];
      const k = x.findIndex((v, i) => v !== y[i]);
      return k < 0 ? x.length - y.length : k >= y.length ? 1 : x[k] - y[k];
    };
    assert.deepEqual([s0.lo, s0.hi], [strings.sort(byBytes)[0], strings.sort(byBytes).at(-1)]);
  } finally {
    c.closeSync();
    await Deno.remove(path);
  }
});

Deno.test("assembleParquet(): row groups encoded apart join into one file, rows in part order", async () => {
  const a = sample(700, 1), b = sample(300, 2);
  const file = assembleParquet(SPEC, [
    encodeRowGroups(packBatch(a), SPEC, { rowGroupSize: 256 }),
    encodeRowGroups(packBatch(b), SPEC, { rowGroupSize: 256 }),
  ]);
  const rows = await duckdbRows(file);
  assertSameRows(rows.slice(0, 700), a, "first part");
  assertSameRows(rows.slice(700), b, "second part");
});

Deno.test("encodeRowGroups(): parts read in place, row groups spanning them, equal one joined batch", async () => {
  const parts = [sample(300, 3), sample(0, 4), sample(1, 5), sample(777, 6)];
  const joined: Batch = { length: 1078, columns: {} };
  for (const { name } of SPEC) {
    const cols = parts.map((p) => p.columns[name]);
    joined.columns[name] = cols[0] instanceof Float64Array
      ? Float64Array.from(cols.flatMap((c) => Array.from(c as Float64Array)))
      : cols.flatMap((c) => c as (string | null)[]);
  }
  const file = assembleParquet(SPEC, [encodeRowGroups(parts.map(packBatch), SPEC, { rowGroupSize: 256 })]);
  assertSameRows(await duckdbRows(file), joined, "parts");
});

Deno.test("writeParquet() refuses what it cannot store exactly, with a clear error", () => {
  const one = (col: Float64Array | string[]) => packBatch({ length: col.length, columns: { a: col } });
  const bigint = [{ name: "a", type: "bigint" }] as const;
  assert.throws(() => writeParquet(one(new Float64Array([0, 2 ** 52, -(2 ** 52)])), bigint), /span more than 2\^53/);
  assert.throws(() => writeParquet(one(new Float64Array([2 ** 60])), bigint), /not an exact integer/);
  assert.throws(() => writeParquet(one(new Float64Array(2)), [{ name: "a", type: "decimal(38,4)" }]), /precision/);
  assert.throws(() => writeParquet(one(["x", "y"]), [{ name: "a", type: "double" }]), /does not hold double/);
  assert.throws(() => writeParquet(one(new Float64Array(2)), [{ name: "b", type: "double" }]), /'b' is missing/);
});

Deno.test("writeParquet(): random batches (nulls anywhere, any group size) read back exactly by DuckDB", async () => {
  for (let seed = 1; seed <= 12; seed++) {
    let state = seed * 7919;
    const rand = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const n = Math.floor(rand() * 3000);
    const b = sample(n, seed);
    // Punch nulls into every column at a random rate, from none to nearly all.
    const rate = rand() < 0.2 ? 0 : rand();
    for (const { name } of SPEC) {
      const col = b.columns[name];
      for (let i = 0; i < n; i++) {
        if (rand() >= rate) continue;
        if (col instanceof Float64Array) col[i] = NaN;
        else col[i] = null;
      }
    }
    const rowGroupSize = 1 + Math.floor(rand() * 1500);
    assertSameRows(await duckdbRows(writeParquet(packBatch(b), SPEC, { rowGroupSize })), b, `seed ${seed}`);
  }
});
