/**
 * {@linkcode ParquetEngine} on native DuckDB (@duckdb/node-api). Columns are appended in bulk
 * chunks into a temp table of plain types, then one `COPY ... TO` casts and encodes them.
 * Native addon: not for Deno Deploy (use the wasm engine there).
 * @module
 */
import {
  DATE,
  DOUBLE,
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBType,
  VARCHAR,
} from "@duckdb/node-api";
import { join } from "node:path";
import { type Column, decimalOf } from "../schemas/columns.ts";
import { DEFAULT_ROW_GROUP, type ParquetEngine } from "./engine.ts";
import { DuckDBDateValue } from "@duckdb/node-api";

const CHUNK = 2048;

function appendType(type: string): DuckDBType {
  return type === "varchar" ? VARCHAR : type === "date" ? DATE : DOUBLE;
}

function sqlOut(name: string, type: string): string {
  const q = `"${name}"`;
  if (type === "timestamp") return `make_timestamp((${q} * 1000)::BIGINT) AS ${q}`;
  if (type === "bigint") return `${q}::BIGINT AS ${q}`;
  const dec = decimalOf(type as never);
  if (dec) return `round(${q}, ${dec[1]})::DECIMAL(${dec[0]},${dec[1]}) AS ${q}`;
  return q;
}

function sqlIn(name: string, type: string): string {
  const q = `"${name}"`;
  if (type === "timestamp") return `epoch_ms(${q})::DOUBLE AS ${q}`;
  if (type === "date") return `(${q} - DATE '1970-01-01')::DOUBLE AS ${q}`;
  if (type === "varchar") return q;
  return `${q}::DOUBLE AS ${q}`;
}

function chunkValues(col: Column, type: string, off: number, n: number) {
  if (!(col instanceof Float64Array)) return col.slice(off, off + n);
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const v = col[off + i];
    out[i] = v !== v ? null : type === "date" ? new DuckDBDateValue(v) : v;
  }
  return out;
}

/**
 * Create the DuckDB engine over one in-memory database (created lazily, reused).
 *
 * @example Round-trip a date column
 * ```ts
 * import { createDuckDbEngine } from "./duckdb_engine.ts";
 * const e = createDuckDbEngine();
 * const spec = [{ name: "d", type: "date" }] as const;
 * const back = await e.decode(await e.encode({ length: 1, columns: { d: new Float64Array([19000]) } }, spec), spec);
 * if ((back.columns.d as Float64Array)[0] !== 19000) throw new Error();
 * ```
 */
export function createDuckDbEngine(): ParquetEngine {
  let conn: Promise<DuckDBConnection> | undefined;
  const connect = () => conn ??= DuckDBInstance.create(":memory:").then((i) => i.connect());
  let seq = 0;

  return {
    name: "duckdb",
    async encode(batch, spec, options = {}) {
      const c = await connect();
      const dir = await Deno.makeTempDir({ prefix: "ticklake-duck-" });
      const table = `enc_${++seq}`;
      try {
        await c.run(
          `CREATE TABLE ${table} (${spec.map((s) => `"${s.name}" ${appendType(s.type).toString()}`).join(", ")})`,
        );
        const appender = await c.createAppender(table);
        const types = spec.map((s) => appendType(s.type));
        for (let off = 0; off < batch.length; off += CHUNK) {
          const n = Math.min(CHUNK, batch.length - off);
          const chunk = DuckDBDataChunk.create(types, n);
          spec.forEach((s, i) => chunk.setColumnValues(i, chunkValues(batch.columns[s.name], s.type, off, n)));
          appender.appendDataChunk(chunk);
        }
        appender.closeSync();
        const file = join(dir, "out.parquet");
        await c.run(
          `COPY (SELECT ${spec.map((s) => sqlOut(s.name, s.type)).join(", ")} FROM ${table}) TO '${file}'
           (FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION v2, ROW_GROUP_SIZE ${
            options.rowGroupSize ?? DEFAULT_ROW_GROUP
          })`,
        );
        return await Deno.readFile(file);
      } finally {
        await c.run(`DROP TABLE IF EXISTS ${table}`);
        await Deno.remove(dir, { recursive: true });
      }
    },
    async decode(bytes, spec) {
      const c = await connect();
      const dir = await Deno.makeTempDir({ prefix: "ticklake-duck-" });
      try {
        const file = join(dir, "in.parquet");
        await Deno.writeFile(file, bytes);
        const reader = await c.runAndReadAll(
          `SELECT ${spec.map((s) => sqlIn(s.name, s.type)).join(", ")} FROM read_parquet('${file}')`,
        );
        const columns: Record<string, Column> = {};
        spec.forEach((s, i) => {
          const values = reader.getColumnsJS()[i] as unknown[];
          columns[s.name] = s.type === "varchar"
            ? values as (string | null)[]
            : Float64Array.from(values, (v) => v === null ? NaN : Number(v));
        });
        return { length: reader.currentRowCount, columns };
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
    close() {
      conn?.then((c) => c.closeSync());
      conn = undefined;
    },
  };
}
