/**
 * Packed batch -> Parquet bytes with apache-arrow and parquet-wasm. Pure and self-contained so
 * that it runs inline or inside a worker ({@linkcode ./wasm_worker.ts}).
 * @module
 */
import * as arrow from "apache-arrow";
import * as pq from "parquet-wasm";
import { type ColumnType, decimalOf, type TableSpec } from "../schemas/columns.ts";
import type { PackedBatch, PackedStrings } from "../schemas/packed.ts";
import { DEFAULT_ROW_GROUP, type EncodeOptions } from "./engine.ts";

function nullMask(col: Float64Array): Uint8Array | undefined {
  let any = false;
  const mask = new Uint8Array((col.length + 7) >> 3);
  for (let i = 0; i < col.length; i++) {
    if (col[i] === col[i]) mask[i >> 3] |= 1 << (i & 7);
    else any = true;
  }
  return any ? mask : undefined;
}

/** Packed strings map straight onto an Arrow dictionary vector. */
function dictionaryData({ dict, keys }: PackedStrings): arrow.Data {
  let nullBitmap: Uint8Array | undefined;
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] >= 0) continue;
    nullBitmap ??= new Uint8Array((keys.length + 7) >> 3).fill(255);
    nullBitmap[i >> 3] &= ~(1 << (i & 7));
    keys[i] = 0;
  }
  const type = new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32());
  const dictionary = arrow.vectorFromArray(dict, new arrow.Utf8());
  return arrow.makeData({ type, length: keys.length, nullBitmap, data: keys, dictionary });
}

function numericData(col: Float64Array, type: ColumnType): arrow.Data {
  const nullBitmap = nullMask(col);
  const length = col.length;
  const dec = decimalOf(type);
  if (dec) {
    // Decimal128 is four little-endian 32-bit words per value; our values fit in 53 bits.
    const [precision, scale] = dec;
    const factor = 10 ** scale;
    const words = new Int32Array(length * 4);
    for (let i = 0; i < length; i++) {
      const v = col[i] === col[i] ? Math.round(col[i] * factor) : 0;
      // Nearly every price fits the low word, and the zeroed upper words are then already right.
      if (v >= 0 && v < 2147483648) {
        words[i * 4] = v;
        continue;
      }
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

/** Encode `p` (its string key arrays may be modified) as one zstd Parquet file. */
export function encodePacked(p: PackedBatch, spec: TableSpec, options: EncodeOptions = {}): Uint8Array {
  const vectors: Record<string, arrow.Vector> = {};
  for (const c of spec) {
    const col = p.columns[c.name];
    if (!col) throw new TypeError(`Cannot encode: column '${c.name}' is missing`);
    const data = col instanceof Float64Array ? numericData(col, c.type) : dictionaryData(col);
    vectors[c.name] = arrow.makeVector(data);
  }
  let props = new pq.WriterPropertiesBuilder()
    .setCompression(pq.Compression.ZSTD)
    .setWriterVersion(pq.WriterVersion.V2)
    .setMaxRowGroupSize(options.rowGroupSize ?? DEFAULT_ROW_GROUP)
    .setCreatedBy("ticklake");
  for (const c of spec) {
    // Integers, dates and decimals are smooth series: deltas compress far better than a dictionary.
    if (c.type !== "varchar" && c.type !== "double") {
      props = props.setColumnDictionaryEnabled(c.name, false)
        .setColumnEncoding(c.name, pq.Encoding.DELTA_BINARY_PACKED);
    }
    if (c.statistics === false) props = props.setColumnStatisticsEnabled(c.name, pq.EnabledStatistics.None);
  }
  const table = pq.Table.fromIPCStream(arrow.tableToIPC(new arrow.Table(vectors), "stream"));
  return pq.writeParquet(table, props.build());
}
