/**
 * The portable {@linkcode ParquetEngine}: no native addon, no disk, so it runs on Deno Deploy. It
 * writes with Ticklake's own TypeScript writer (./parquet_writer.ts) and reads with parquet-wasm
 * and apache-arrow; the name is kept from when parquet-wasm did both.
 * @module
 */
import * as arrow from "apache-arrow";
import * as pq from "parquet-wasm";
import { type Batch, type Column, decimalOf, type TableSpec } from "../schemas/columns.ts";
import { packBatch } from "../schemas/packed.ts";
import type { ObjectReader } from "../store.ts";
import { createWorkerPool, type WorkerPool, workersAvailable } from "../worker_pool.ts";
import type { ParquetEngine } from "./engine.ts";
import { createParquetSink, writeParquet } from "./parquet_writer.ts";
import type { EncodeTask } from "./wasm_worker.ts";

const MS_PER_DAY = 86_400_000;

const utf8 = new TextDecoder();

/** Whether `length` bytes at `a` and at `b` are equal: four at a time (a raw_ref is ~100 bytes), then one by one. */
function sameBytes(bytes: Uint8Array, words: DataView, a: number, b: number, length: number): boolean {
  let k = 0;
  for (; k + 4 <= length; k += 4) if (words.getUint32(a + k) !== words.getUint32(b + k)) return false;
  for (; k < length; k++) if (bytes[a + k] !== bytes[b + k]) return false;
  return true;
}

/**
 * A string column. A value equal to the row before's is not decoded again: our string columns
 * repeat in runs (a sorted symbol column, one raw_ref per reply), and decoding every row's UTF-8
 * was most of the time a decode of the symbols of 2.1 M bars took (1.3 s).
 */
function stringsFromArrow(vec: arrow.Vector): (string | null)[] {
  const out = new Array<string | null>(vec.length);
  let off = 0;
  for (const data of vec.data) {
    const offsets = data.valueOffsets as Int32Array | undefined;
    if (!(data.type instanceof arrow.Utf8) || !offsets) {
      for (let i = 0; i < data.length; i++) out[off + i] = vec.get(off + i) ?? null;
    } else {
      const bytes = data.values as Uint8Array;
      const words = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      let last = "", lastStart = 0, lastLength = -1;
      for (let i = 0; i < data.length; i++) {
        if (data.nullCount > 0 && !data.getValid(i)) {
          out[off + i] = null;
          continue;
        }
        const start = offsets[i], length = offsets[i + 1] - start;
        if (length !== lastLength || !sameBytes(bytes, words, start, lastStart, length)) {
          last = utf8.decode(bytes.subarray(start, start + length));
          lastStart = start, lastLength = length;
        }
        out[off + i] = last;
      }
    }
    off += data.length;
  }
  return out;
}

/** A column of our batch from an Arrow vector. Arrow slices a chunk's buffers with it, so values are indexed from 0. */
function fromArrow(vec: arrow.Vector, type: string): Column {
  const n = vec.length;
  if (type === "varchar") return stringsFromArrow(vec);
  const out = new Float64Array(n);
  const dec = decimalOf(type as never);
  let off = 0;
  for (const data of vec.data) {
    const valid = (i: number) => data.nullCount === 0 || data.getValid(i);
    const values = data.values as ArrayLike<number | bigint>;
    if (dec) {
      const words = values as unknown as Uint32Array;
      const factor = 10 ** dec[1];
      for (let i = 0; i < data.length; i++) {
        const j = i * 4;
        out[off + i] = valid(i) ? ((words[j + 1] | 0) * 4294967296 + words[j]) / factor : NaN;
      }
    } else if (data.type instanceof arrow.DateDay || data.type instanceof arrow.DateMillisecond) {
      const isMs = data.type instanceof arrow.DateMillisecond;
      for (let i = 0; i < data.length; i++) {
        const v = Number(values[i]);
        out[off + i] = valid(i) ? (isMs ? v / MS_PER_DAY : v) : NaN;
      }
    } else if (data.type instanceof arrow.Timestamp) {
      const div = [1 / 1000, 1, 1000, 1_000_000][data.type.unit];
      for (let i = 0; i < data.length; i++) out[off + i] = valid(i) ? Number(values[i]) / div : NaN;
    } else {
      for (let i = 0; i < data.length; i++) out[off + i] = valid(i) ? Number(values[i]) : NaN;
    }
    off += data.length;
  }
  return out;
}

function fromTable(table: arrow.Table, spec: TableSpec): Batch {
  const columns: Record<string, Column> = {};
  for (const c of spec) {
    const vec = table.getChild(c.name);
    if (!vec) throw new TypeError(`Cannot decode Parquet: column '${c.name}' is missing`);
    columns[c.name] = fromArrow(vec, c.type);
  }
  return { length: table.numRows, columns };
}

/** The part of `Blob` that parquet-wasm's `ParquetFile.fromFile` uses, over a ranged reader. */
interface RangeBlob {
  size: number;
  slice(start?: number, end?: number): RangeBlob;
  arrayBuffer(): Promise<ArrayBuffer>;
}

function blobOver(source: ObjectReader, from = 0, to = source.size): RangeBlob {
  const at = (i: number | undefined, fallback: number) =>
    i === undefined ? fallback : Math.min(Math.max(i < 0 ? to - from + i : i, 0), to - from);
  return {
    size: to - from,
    slice(start, end) {
      const a = from + at(start, 0);
      return blobOver(source, a, Math.max(a, from + at(end, to - from)));
    },
    async arrayBuffer() {
      const bytes = await source.read(from, to);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  };
}

/** A Parquet file's row count from its footer alone: two ranged reads, whatever the file's size. */
export async function parquetRowCount(source: ObjectReader): Promise<number> {
  const file = await pq.ParquetFile.fromFile(blobOver(source) as unknown as Blob);
  try {
    return file.metadata().fileMetadata().numRows();
  } finally {
    file.free();
  }
}

/**
 * Create the wasm engine. With `workers` > 0 (and a runtime that has workers), encodes run on a
 * pool of that many workers, so a bulk job encodes partitions in parallel; call `close()` after.
 *
 * @example Round-trip a decimal column
 * ```ts
 * import { createWasmEngine } from "./wasm_engine.ts";
 * const e = createWasmEngine();
 * const spec = [{ name: "p", type: "decimal(18,4)" }] as const;
 * const bytes = await e.encode({ length: 1, columns: { p: new Float64Array([1.2345]) } }, spec);
 * const back = await e.decode(bytes, spec);
 * if ((back.columns.p as Float64Array)[0] !== 1.2345) throw new Error();
 * ```
 */
export function createWasmEngine({ workers = 0 }: { workers?: number } = {}): ParquetEngine {
  // Workers start on the first encode: a job that never encodes here pays nothing for them.
  let pool: WorkerPool<EncodeTask, Uint8Array> | undefined;
  const encodePool = () =>
    pool ??= createWorkerPool<EncodeTask, Uint8Array>(new URL("./wasm_worker.ts", import.meta.url), workers);
  const pooled = workers > 0 && workersAvailable();
  return {
    name: "wasm",
    encode(batch, spec, options = {}) {
      const packed = packBatch(batch);
      // The batch's numbers are copied to the worker (not moved): callers may still use them.
      return pooled
        ? encodePool().run({ batch: packed, spec, options })
        : Promise.resolve(writeParquet(packed, spec, options));
    },
    decode(bytes, spec) {
      const columns = spec.map((c) => c.name);
      return Promise.resolve(fromTable(arrow.tableFromIPC(pq.readParquet(bytes, { columns }).intoIPCStream()), spec));
    },
    async *decodePieces(source, spec) {
      // parquet-wasm reads a "Blob" through its size, slice() and arrayBuffer() alone, so one over
      // the reader fetches just the footer and each row group's ranges.
      const file = await pq.ParquetFile.fromFile(blobOver(source) as unknown as Blob);
      try {
        const meta = file.metadata();
        const total = meta.fileMetadata().numRows();
        const columns = spec.map((c) => c.name);
        let rows = 0;
        for (let i = 0; i < meta.numRowGroups(); i++) {
          const piece = fromTable(
            arrow.tableFromIPC((await file.read({ rowGroups: [i], columns })).intoIPCStream()),
            spec,
          );
          rows += piece.length;
          yield piece;
        }
        // As in the DuckDB engine: a merge must never take a partial read for the whole file.
        if (rows !== total) throw new Error(`Cannot decode Parquet: read ${rows} of ${total} rows`);
      } finally {
        file.free();
      }
    },
    sink(spec, out, options = {}) {
      const sink = createParquetSink(spec, options);
      const write = async (chunks: Uint8Array[]) => {
        for (const c of chunks) await out.write(c);
      };
      return {
        append: (batch) => write(sink.append(packBatch(batch))),
        finish: () => write(sink.finish()),
        discard: () => Promise.resolve(),
      };
    },
    close() {
      pool?.close();
    },
  };
}
