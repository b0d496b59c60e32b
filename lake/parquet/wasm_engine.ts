/**
 * {@linkcode ParquetEngine} on parquet-wasm and apache-arrow: no native addon, no disk, so it runs
 * on Deno Deploy. Decimals are written as Arrow Decimal128, which Parquet stores as INT64.
 * @module
 */
import * as arrow from "apache-arrow";
import * as pq from "parquet-wasm";
import { type Column, decimalOf } from "../schemas/columns.ts";
import { DEFAULT_ROW_GROUP, type ParquetEngine } from "./engine.ts";

const MS_PER_DAY = 86_400_000;

function nullMask(col: Float64Array): Uint8Array | undefined {
  let any = false;
  const mask = new Uint8Array((col.length + 7) >> 3);
  for (let i = 0; i < col.length; i++) {
    if (col[i] === col[i]) mask[i >> 3] |= 1 << (i & 7);
    else any = true;
  }
  return any ? mask : undefined;
}

/** Strings as dictionary indices: building plain Utf8 vectors value by value is ~30x slower. */
function dictionaryOf(col: (string | null)[]): arrow.Data {
  const ids = new Map<string, number>();
  const keys = new Int32Array(col.length);
  let nullBitmap: Uint8Array | undefined;
  for (let i = 0; i < col.length; i++) {
    const s = col[i];
    if (s === null) {
      nullBitmap ??= new Uint8Array((col.length + 7) >> 3).fill(255);
      nullBitmap[i >> 3] &= ~(1 << (i & 7));
      continue;
    }
    let id = ids.get(s);
    if (id === undefined) ids.set(s, id = ids.size);
    keys[i] = id;
  }
  const dictionary = arrow.vectorFromArray([...ids.keys()], new arrow.Utf8());
  const type = new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32());
  return arrow.makeData({ type, length: col.length, nullBitmap, data: keys, dictionary });
}

function toArrow(col: Column, type: string): arrow.Data {
  if (!(col instanceof Float64Array)) return dictionaryOf(col);
  const nullBitmap = nullMask(col);
  const length = col.length;
  const dec = decimalOf(type as never);
  if (dec) {
    // Decimal128 is four little-endian 32-bit words per value; our values fit in 53 bits.
    const [precision, scale] = dec;
    const factor = 10 ** scale;
    const words = new Int32Array(length * 4);
    for (let i = 0; i < length; i++) {
      const v = col[i] === col[i] ? Math.round(col[i] * factor) : 0;
      const hi = Math.floor(v / 4294967296);
      words[i * 4] = v - hi * 4294967296;
      words[i * 4 + 1] = hi;
      words[i * 4 + 2] = words[i * 4 + 3] = v < 0 ? -1 : 0;
    }
    return arrow.makeData({
      type: new arrow.Decimal(scale, precision, 128),
      length,
      nullBitmap,
      data: new Uint32Array(words.buffer),
    });
  }
  switch (type) {
    case "date":
      return arrow.makeData({ type: new arrow.DateDay(), length, nullBitmap, data: Int32Array.from(col) });
    case "timestamp": {
      const data = new BigInt64Array(length);
      for (let i = 0; i < length; i++) data[i] = col[i] === col[i] ? BigInt(Math.round(col[i])) * 1000n : 0n;
      return arrow.makeData({ type: new arrow.TimestampMicrosecond(), length, nullBitmap, data });
    }
    case "bigint": {
      const data = new BigInt64Array(length);
      for (let i = 0; i < length; i++) data[i] = col[i] === col[i] ? BigInt(col[i]) : 0n;
      return arrow.makeData({ type: new arrow.Int64(), length, nullBitmap, data });
    }
    case "double":
      return arrow.makeData({ type: new arrow.Float64(), length, nullBitmap, data: col });
  }
  throw new TypeError(`Cannot encode column type '${type}': not supported by the wasm engine`);
}

function fromArrow(vec: arrow.Vector, type: string): Column {
  const n = vec.length;
  if (type === "varchar") {
    const out = new Array<string | null>(n);
    for (let i = 0; i < n; i++) out[i] = vec.get(i) ?? null;
    return out;
  }
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
        const j = (data.offset + i) * 4;
        out[off + i] = valid(i) ? ((words[j + 1] | 0) * 4294967296 + words[j]) / factor : NaN;
      }
    } else if (data.type instanceof arrow.DateDay || data.type instanceof arrow.DateMillisecond) {
      const isMs = data.type instanceof arrow.DateMillisecond;
      for (let i = 0; i < data.length; i++) {
        const v = Number(values[data.offset + i]);
        out[off + i] = valid(i) ? (isMs ? v / MS_PER_DAY : v) : NaN;
      }
    } else if (data.type instanceof arrow.Timestamp) {
      const div = [1 / 1000, 1, 1000, 1_000_000][data.type.unit];
      for (let i = 0; i < data.length; i++) out[off + i] = valid(i) ? Number(values[data.offset + i]) / div : NaN;
    } else {
      for (let i = 0; i < data.length; i++) out[off + i] = valid(i) ? Number(values[data.offset + i]) : NaN;
    }
    off += data.length;
  }
  return out;
}

/**
 * Create the wasm engine.
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
export function createWasmEngine(): ParquetEngine {
  return {
    name: "wasm",
    encode(batch, spec, options = {}) {
      const fields = spec.map((c) => toArrow(batch.columns[c.name], c.type));
      const vectors = Object.fromEntries(spec.map((c, i) => [c.name, arrow.makeVector(fields[i])]));
      const table = new arrow.Table(vectors);
      let props = new pq.WriterPropertiesBuilder()
        .setCompression(pq.Compression.ZSTD)
        .setWriterVersion(pq.WriterVersion.V2)
        .setMaxRowGroupSize(options.rowGroupSize ?? DEFAULT_ROW_GROUP)
        .setCreatedBy("ticklake");
      // Integers, dates and decimals are smooth series: deltas compress far better than a dictionary.
      for (const c of spec) {
        if (c.type === "varchar" || c.type === "double") continue;
        props = props.setColumnDictionaryEnabled(c.name, false).setColumnEncoding(
          c.name,
          pq.Encoding.DELTA_BINARY_PACKED,
        );
      }
      const wasmTable = pq.Table.fromIPCStream(arrow.tableToIPC(table, "stream"));
      return Promise.resolve(pq.writeParquet(wasmTable, props.build()));
    },
    decode(bytes, spec) {
      const table = arrow.tableFromIPC(pq.readParquet(bytes).intoIPCStream());
      const columns: Record<string, Column> = {};
      for (const c of spec) {
        const vec = table.getChild(c.name);
        if (!vec) throw new TypeError(`Cannot decode Parquet: column '${c.name}' is missing`);
        columns[c.name] = fromArrow(vec, c.type);
      }
      return Promise.resolve({ length: table.numRows, columns });
    },
  };
}
