/**
 * Pick a Parquet engine by name. DuckDB is native (fast, local only); wasm runs anywhere,
 * including Deno Deploy.
 * @module
 */
import type { ParquetEngine } from "../../lake/parquet/engine.ts";
import { createWasmEngine } from "../../lake/parquet/wasm_engine.ts";

/** `workers` > 0 lets the wasm engine encode on that many workers (bulk jobs; close it after). */
export async function createEngine(name: string, { workers = 0 } = {}): Promise<ParquetEngine> {
  if (name === "wasm") return createWasmEngine({ workers });
  // Loaded on demand so that code paths using the wasm engine never load the native addon.
  if (name === "duckdb") return (await import("../../lake/parquet/duckdb_engine.ts")).createDuckDbEngine();
  throw new RangeError(`Cannot use Parquet engine '${name}': expected duckdb or wasm`);
}
