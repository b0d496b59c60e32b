/**
 * The one small interface the lake writes and reads Parquet through. Two engines implement it:
 * a wasm one (parquet-wasm; runs on Deno Deploy) and native DuckDB (faster to query, not on Deploy).
 * @module
 */
import type { Batch, TableSpec } from "../schemas/columns.ts";
import type { ByteSink, ObjectReader } from "../store.ts";

export interface ParquetEngine {
  readonly name: "wasm" | "duckdb";
  /** Encode a batch as one Parquet file (zstd, sorted input kept in order). */
  encode(batch: Batch, spec: TableSpec, options?: EncodeOptions): Promise<Uint8Array>;
  /** Decode a Parquet file back into a batch of `spec`'s columns (a subset of the file's: only those are read). */
  decode(bytes: Uint8Array, spec: TableSpec): Promise<Batch>;
  /**
   * Decode a Parquet file a piece at a time, in file order, reading it in ranges: memory holds
   * one piece (a row group, or a chunk of the engine's reader), not the file or its rows.
   */
  decodePieces(file: ObjectReader, spec: TableSpec): AsyncIterable<Batch>;
  /**
   * Write one Parquet file to `out` from rows appended in order, holding as few of them as the
   * engine can. Committing `out` is the caller's business.
   */
  sink(spec: TableSpec, out: ByteSink, options?: EncodeOptions): EngineSink;
  /** Release workers or connections the engine holds. */
  close(): void;
}

export interface EncodeOptions {
  /** Rows per row group: small enough for range-request pruning, large enough to compress. */
  rowGroupSize?: number;
}

/** Rows per row group unless told otherwise (~100 KB of daily bars per group). */
export const DEFAULT_ROW_GROUP = 8_192;

/** A Parquet file written a piece at a time; `discard()` drops it when the job gives up. */
export interface EngineSink {
  append(batch: Batch): Promise<void>;
  /** Write the rest of the file, footer included. */
  finish(): Promise<void>;
  discard(): Promise<void>;
}
