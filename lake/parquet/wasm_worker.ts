/**
 * Worker entry for the wasm engine's encodes: one packed batch in, Parquet bytes out (moved, not
 * copied).
 * @module
 */
import type { TableSpec } from "../schemas/columns.ts";
import type { PackedBatch } from "../schemas/packed.ts";
import { serveWorker } from "../worker_pool.ts";
import type { EncodeOptions } from "./engine.ts";
import { writeParquet } from "./parquet_writer.ts";

export interface EncodeTask {
  batch: PackedBatch;
  spec: TableSpec;
  options?: EncodeOptions;
}

serveWorker<EncodeTask, Uint8Array>(({ batch, spec, options }) => {
  const bytes = writeParquet(batch, spec, options);
  return [bytes, [bytes.buffer as ArrayBuffer]];
});
