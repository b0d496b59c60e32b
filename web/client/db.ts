/// <reference lib="dom" />
/**
 * The page's one DuckDB-WASM instance, created lazily. The wasm and worker come from our own
 * origin; the lake's Parquet files are registered by URL so DuckDB reads them with HTTP range
 * requests. Every query is a prepared statement with `?` parameters.
 * @module
 */
import * as duckdb from "@duckdb/duckdb-wasm";

export type Row = Record<string, unknown>;

interface Catalog {
  tables: { name: string; files: { key: string; url: string; size: number }[] }[];
}

let ready: Promise<duckdb.AsyncDuckDBConnection> | undefined;

const DAILY_VIEW = `SELECT symbol, date, open::DOUBLE AS open, high::DOUBLE AS high, low::DOUBLE AS low,
  close::DOUBLE AS close, adj_close::DOUBLE AS adj_close, volume::DOUBLE AS volume, dividend::DOUBLE AS dividend,
  split_ratio, source, ingested_at, raw_ref`;

async function init(): Promise<duckdb.AsyncDuckDBConnection> {
  const worker = new Worker("/duckdb/duckdb-browser-eh.worker.js");
  const db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), worker);
  await db.instantiate("/duckdb/duckdb-eh.wasm");
  const conn = await db.connect();
  // Keep Parquet footers after the first read, so a symbol switch does not fetch them again.
  await conn.query("SET enable_object_cache = true");
  const catalog: Catalog = await (await fetch("/api/catalog")).json();
  for (const t of catalog.tables) {
    const names = [];
    for (const f of t.files) {
      const name = f.key.replaceAll("/", "__");
      await db.registerFileURL(name, new URL(f.url, location.href).href, duckdb.DuckDBDataProtocol.HTTP, false);
      names.push(`'${name}'`);
    }
    // Decimals reach JavaScript as 128-bit words; the views hand charts plain doubles instead.
    const select = t.name === "daily_bars" ? DAILY_VIEW : "SELECT *";
    if (names.length) await conn.query(`CREATE OR REPLACE VIEW ${t.name} AS ${select} FROM read_parquet([${names.join(",")}])`);
  }
  if (!catalog.tables.some((t) => t.name === "daily_bars" && t.files.length)) {
    await conn.query(`CREATE OR REPLACE VIEW daily_bars AS SELECT NULL::VARCHAR AS symbol, NULL::DATE AS date,
      NULL::DOUBLE AS open, NULL::DOUBLE AS high, NULL::DOUBLE AS low, NULL::DOUBLE AS close, NULL::DOUBLE AS adj_close,
      NULL::DOUBLE AS volume, NULL::DOUBLE AS dividend, NULL::DOUBLE AS split_ratio, NULL::VARCHAR AS source,
      NULL::TIMESTAMP AS ingested_at, NULL::VARCHAR AS raw_ref WHERE false`);
  }
  if (!catalog.tables.some((t) => t.name === "symbols")) {
    await conn.query(`CREATE OR REPLACE VIEW symbols AS SELECT NULL::VARCHAR AS symbol, NULL::VARCHAR AS "name" WHERE false`);
  }
  return conn;
}

function plain(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  return v;
}

/** Run a query with parameters; rows as plain objects (BigInt -> number, DATE -> ISO string). */
export async function query(sql: string, params: unknown[] = []): Promise<Row[]> {
  const conn = await (ready ??= init());
  const stmt = await conn.prepare(sql);
  try {
    const table = await stmt.query(...params);
    const dateCols = new Set(table.schema.fields.filter((f) => String(f.type).startsWith("Date")).map((f) => f.name));
    const tsCols = new Set(table.schema.fields.filter((f) => String(f.type).startsWith("Timestamp")).map((f) => f.name));
    return table.toArray().map((r: { toJSON(): Row }) => {
      const o = r.toJSON();
      const out: Row = {};
      for (const [k, v] of Object.entries(o)) {
        out[k] = dateCols.has(k) && v != null
          ? new Date(Number(v)).toISOString().slice(0, 10)
          : tsCols.has(k) && v != null
          ? new Date(Number(v)).toISOString()
          : plain(v);
      }
      return out;
    });
  } finally {
    await stmt.close();
  }
}

/** Column names of a result (for tables), in order. */
export function columnsOf(rows: Row[]): string[] {
  return rows.length ? Object.keys(rows[0]) : [];
}
