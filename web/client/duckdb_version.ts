/**
 * The pinned DuckDB-WASM version, in one place. 1.28.0 has the parquet extension built in; later
 * versions fetch it from extensions.duckdb.org at run time, which an offline dashboard cannot
 * (and 1.30-1.32 have a range-detection regression that downloads whole files).
 * Keep deno.json's "@duckdb/duckdb-wasm" import at the same version.
 * @module
 */
export const DUCKDB_WASM_VERSION = "1.28.0";
