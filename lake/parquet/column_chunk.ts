/**
 * One column chunk of Ticklake's Parquet writer: how a column type is stored, and its pages. Per
 * chunk: one data page v2; integers, dates, timestamps and decimals DELTA_BINARY_PACKED; strings,
 * and numbers with few distinct values, as a dictionary plus RLE/bit-packed indices; zstd where
 * it pays; min/max statistics unless the column opts out.
 * @module
 */
import { constants, zstdCompressSync } from "node:zlib";
import { type ColumnSpec, decimalOf } from "../schemas/columns.ts";
import type { PackedStrings } from "../schemas/packed.ts";
import { ByteWriter } from "./bytes.ts";
import { bitWidth, deltaBinaryPacked, rleHybrid } from "./encodings.ts";
import { type Field, writeStruct } from "./thrift.ts";

// Enumerations from parquet.thrift.
const INT32 = 1, INT64 = 2, DOUBLE = 5, BYTE_ARRAY = 6;
const OPTIONAL = 1;
const UTF8 = 0, CT_DECIMAL = 5, CT_DATE = 6;
const PLAIN = 0, RLE = 3, DELTA_BINARY_PACKED = 5, RLE_DICTIONARY = 8;
const UNCOMPRESSED = 0, ZSTD = 6;
const DICTIONARY_PAGE = 2, DATA_PAGE_V2 = 3;

const utf8 = new TextEncoder();

/** How one column is stored: its schema entry and how its values become integers for deltas. */
export interface ColumnPlan {
  spec: ColumnSpec;
  physical: number;
  schema: Field[];
  /** For delta-encoded columns: stored integer = round(value * scale). */
  scale?: number;
}

export function planColumn(spec: ColumnSpec): ColumnPlan {
  const named = (physical: number, extra: Field[] = []): ColumnPlan => ({
    spec,
    physical,
    schema: [[1, "i32", physical], [3, "i32", OPTIONAL], [4, "binary", spec.name], ...extra],
  });
  const dec = decimalOf(spec.type);
  if (dec) {
    const [precision, scale] = dec;
    if (precision > 18) throw new TypeError(`Cannot write ${spec.type}: precision above 18 is not supported`);
    return {
      ...named(INT64, [[6, "i32", CT_DECIMAL], [7, "i32", scale], [8, "i32", precision], [10, "struct", [[5, "struct", [
        [1, "i32", scale],
        [2, "i32", precision],
      ]]]]]),
      scale: 10 ** scale,
    };
  }
  switch (spec.type) {
    case "varchar":
      return named(BYTE_ARRAY, [[6, "i32", UTF8], [10, "struct", [[1, "struct", []]]]]);
    case "double":
      return named(DOUBLE);
    case "date":
      return { ...named(INT32, [[6, "i32", CT_DATE], [10, "struct", [[6, "struct", []]]]]), scale: 1 };
    case "bigint":
      return { ...named(INT64), scale: 1 };
    case "timestamp":
      // Epoch milliseconds in, microseconds stored; not adjusted to UTC, so readers see TIMESTAMP.
      return {
        ...named(INT64, [[10, "struct", [[8, "struct", [[1, "bool", false], [2, "struct", [[2, "struct", []]]]]]]]]),
        scale: 1000,
      };
  }
  throw new TypeError(`Cannot write column type '${spec.type}'`);
}

/** One column chunk's pages, ready to append, with what its metadata needs. */
export interface Chunk {
  pages: Uint8Array[];
  uncompressed: number;
  codec: number;
  encodings: number[];
  dictionaryPages: number;
  stats: ChunkStats;
}

/** Null count and min/max (Parquet's plain byte form), for a column chunk's metadata. */
export interface ChunkStats {
  nulls: number;
  min?: Uint8Array;
  max?: Uint8Array;
}

// Level 1 with a 64 KiB window: pages are small, and zstd's default level spent more time
// setting up each call than compressing (50 vs 15 us a page, for the same size here).
const ZSTD_OPTIONS = { params: { [constants.ZSTD_c_compressionLevel]: 1, [constants.ZSTD_c_windowLog]: 16 } };

function compressed(body: Uint8Array): Uint8Array {
  const out = zstdCompressSync(body, ZSTD_OPTIONS);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

function pageBytes(header: Field[], body: Uint8Array, uncompressedBody: number): [Uint8Array, number] {
  const h = new ByteWriter(64);
  writeStruct(h, header);
  const out = new Uint8Array(h.length + body.length);
  out.set(h.view());
  out.set(body, h.length);
  return [out, h.length + uncompressedBody];
}

/** A data page v2; `values` is compressed here when the codec says so. */
function dataPage(
  rows: number,
  nulls: number,
  encoding: number,
  levels: Uint8Array,
  values: Uint8Array,
  codec: number,
  stored = codec === ZSTD ? compressed(values) : values,
): [Uint8Array, number] {
  const body = new Uint8Array(levels.length + stored.length);
  body.set(levels);
  body.set(stored, levels.length);
  const header: Field[] = [
    [1, "i32", DATA_PAGE_V2],
    [2, "i32", levels.length + values.length],
    [3, "i32", body.length],
    [8, "struct", [
      [1, "i32", rows],
      [2, "i32", nulls],
      [3, "i32", rows],
      [4, "i32", encoding],
      [5, "i32", levels.length],
      [6, "i32", 0],
      [7, "bool", codec !== UNCOMPRESSED],
    ]],
  ];
  return pageBytes(header, body, levels.length + values.length);
}

function dictionaryPage(entries: number, plain: Uint8Array, codec: number): [Uint8Array, number] {
  const stored = codec === ZSTD ? compressed(plain) : plain;
  return pageBytes(
    [[1, "i32", DICTIONARY_PAGE], [2, "i32", plain.length], [3, "i32", stored.length], [7, "struct", [
      [1, "i32", entries],
      [2, "i32", PLAIN],
    ]]],
    stored,
    plain.length,
  );
}

/** Below this many bytes a chunk is stored uncompressed: zstd's per-call cost buys nothing. */
const COMPRESS_FROM = 512;

/** A dictionary page and the data page of indices into it. */
function dictionaryChunk(
  entries: number,
  dictionary: Uint8Array,
  rows: number,
  nulls: number,
  levels: Uint8Array,
  indices: Uint8Array,
  stats: ChunkStats,
): Chunk {
  const codec = dictionary.length + indices.length >= COMPRESS_FROM ? ZSTD : UNCOMPRESSED;
  const dict = dictionaryPage(entries, dictionary, codec);
  const data = dataPage(rows, nulls, RLE_DICTIONARY, levels, indices, codec);
  return {
    pages: [dict[0], data[0]],
    uncompressed: dict[1] + data[1],
    codec,
    encodings: [PLAIN, RLE, RLE_DICTIONARY],
    dictionaryPages: 1,
    stats,
  };
}

/** Definition levels (1 = present) as an RLE/bit-packed hybrid without a length prefix. */
function levelsOf(present: Uint8Array | undefined, rows: number): Uint8Array {
  const out = new ByteWriter(present ? (rows >> 3) + 16 : 8);
  if (present) rleHybrid(out, present, rows, 1);
  else out.uvarint(rows * 2), out.byte(1);
  return out.view();
}

/** Bits per dictionary index (at least 1: not every reader takes width 0). */
function dictionaryWidth(entries: number): number {
  return entries > 2 ? bitWidth(entries - 1) : 1;
}

/** A chunk with no values: its definition levels say every row is null. */
function allNullChunk(rows: number, stats: ChunkStats): Chunk {
  const [page, size] = dataPage(
    rows,
    rows,
    PLAIN,
    levelsOf(new Uint8Array(rows), rows),
    new Uint8Array(0),
    UNCOMPRESSED,
  );
  return { pages: [page], uncompressed: size, codec: UNCOMPRESSED, encodings: [PLAIN, RLE], dictionaryPages: 0, stats };
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function numberBytes(physical: number, v: number): Uint8Array {
  const w = new ByteWriter(8);
  if (physical === INT32) w.int32LE(v);
  else if (physical === INT64) w.int64LE(v);
  else w.float64LE(v);
  return w.view().slice();
}

/** A run of one column's rows: `column[start..end)` of one part. */
export interface Segment<C> {
  column: C;
  start: number;
  end: number;
}

/** A string column's rows, dictionary-encoded against a dictionary of this chunk's own values. */
function stringChunk(
  segments: Segment<PackedStrings>[],
  rows: number,
  utf8Of: (s: string) => Uint8Array,
  stats: boolean,
) {
  const ids = new Map<string, number>();
  const used: string[] = [];
  const indices = new Int32Array(rows);
  let present: Uint8Array | undefined;
  let n = 0, r = 0;
  for (const { column: { dict, keys }, start, end } of segments) {
    // Each part's keys map to this chunk's ids on first sight, then by array lookup.
    const remap = new Int32Array(dict.length).fill(-1);
    let lastKey = -1, lastId = -1;
    for (let i = start; i < end; i++, r++) {
      const key = keys[i];
      if (key < 0) {
        present ??= new Uint8Array(rows).fill(1, 0, r);
        continue;
      }
      if (present) present[r] = 1;
      // Sorted tables repeat a value for long runs, so the last lookup is usually the answer.
      if (key !== lastKey) {
        lastKey = key;
        lastId = remap[key];
        if (lastId < 0) {
          const s = dict[key];
          lastId = remap[key] = ids.get(s) ?? (ids.set(s, used.length), used.push(s) - 1);
        }
      }
      indices[n++] = lastId;
    }
  }
  const dict = new ByteWriter(1024);
  let min: Uint8Array | undefined, max: Uint8Array | undefined;
  for (const s of used) {
    const b = utf8Of(s);
    dict.int32LE(b.length);
    dict.bytes(b);
    if (stats && (!min || compareBytes(b, min) < 0)) min = b;
    if (stats && (!max || compareBytes(b, max) > 0)) max = b;
  }
  const width = dictionaryWidth(used.length);
  const values = new ByteWriter(64);
  values.byte(width);
  rleHybrid(values, indices, n, width);
  return { nulls: rows - n, present, dict: dict.view(), entries: used.length, values: values.view(), min, max };
}

/** What a column's earlier chunks in this file taught the writer. */
export interface ColumnState {
  /** UTF-8 of the strings written so far (a file repeats its few distinct values). */
  encoded: Map<string, Uint8Array>;
  /** Whether zstd paid off on the last chunk tried, and chunks written since without trying. */
  zstdPaid: boolean;
  untried: number;
}

/** Try zstd on delta pages again after this many chunks stored without it. */
const RETRY_ZSTD_EVERY = 8;

/** One column chunk of `rows` rows, read from `segments` in order. */
export function writeChunk(
  plan: ColumnPlan,
  segments: Segment<Float64Array | PackedStrings>[],
  state: ColumnState,
  rows: number,
): Chunk {
  const stats = plan.spec.statistics !== false;
  if (plan.spec.type === "varchar") {
    const utf8Of = (s: string) => state.encoded.get(s) ?? state.encoded.set(s, utf8.encode(s)).get(s)!;
    const s = stringChunk(segments as Segment<PackedStrings>[], rows, utf8Of, stats);
    if (s.nulls === rows) return allNullChunk(rows, { nulls: rows });
    const levels = levelsOf(s.present, rows);
    return dictionaryChunk(s.entries, s.dict, rows, s.nulls, levels, s.values, {
      nulls: s.nulls,
      min: s.min,
      max: s.max,
    });
  }
  // Non-null values in stored form, their min and max, and definition levels if any are null.
  const values = new Float64Array(rows);
  let present: Uint8Array | undefined;
  let n = 0, r = 0, min = Infinity, max = -Infinity;
  const scale = plan.scale;
  for (const { column, start, end } of segments as Segment<Float64Array>[]) {
    for (let i = start; i < end; i++, r++) {
      const raw = column[i];
      if (raw !== raw) {
        present ??= new Uint8Array(rows).fill(1, 0, r);
        continue;
      }
      if (present) present[r] = 1;
      const v = scale ? Math.round(raw * scale) : raw;
      values[n++] = v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (n === 0) return allNullChunk(rows, { nulls: rows });
  if (scale && (max > Number.MAX_SAFE_INTEGER || min < -Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(
      `Cannot write ${plan.spec.name}: ${max > 0 ? max : min} is not an exact integer in JavaScript`,
    );
  }
  const levels = levelsOf(present, rows);
  const nonNull = values.subarray(0, n);
  const stat: ChunkStats = stats
    ? { nulls: rows - n, min: numberBytes(plan.physical, min), max: numberBytes(plan.physical, max) }
    : { nulls: rows - n };
  // Integers take a dictionary only when it is clearly smaller than their deltas (a 1/64 share
  // of distinct values keeps dates, ~1/32 in a row group, as deltas).
  if (scale) {
    const repeated = repeatedValuesChunk(plan.physical, nonNull, 64, rows, levels, stat);
    if (repeated) return repeated;
    const body = new ByteWriter(n * 2 + 32);
    deltaBinaryPacked(body, nonNull);
    // Bit-packed deltas of prices are noise to zstd, but runs (dates, rare dividends) are not;
    // so zstd is kept for a column while it pays, and tried again now and then when it did not.
    const packed = body.view();
    let codec = UNCOMPRESSED, stored = packed;
    if (state.zstdPaid || state.untried >= RETRY_ZSTD_EVERY) {
      const squeezed = compressed(packed);
      state.zstdPaid = squeezed.length < packed.length * 0.9;
      state.untried = 0;
      if (state.zstdPaid) codec = ZSTD, stored = squeezed;
    } else state.untried++;
    const [page, size] = dataPage(rows, rows - n, DELTA_BINARY_PACKED, levels, packed, codec, stored);
    return {
      pages: [page],
      uncompressed: size,
      codec,
      encodings: [RLE, DELTA_BINARY_PACKED],
      dictionaryPages: 0,
      stats: stat,
    };
  }
  return repeatedValuesChunk(plan.physical, nonNull, 4, rows, levels, stat) ??
    plainDoubleChunk(nonNull, rows, levels, stat);
}

function plainDoubleChunk(values: Float64Array, rows: number, levels: Uint8Array, stats: ChunkStats): Chunk {
  const plain = new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice();
  const [page, size] = dataPage(rows, rows - values.length, PLAIN, levels, plain, ZSTD);
  return { pages: [page], uncompressed: size, codec: ZSTD, encodings: [PLAIN, RLE], dictionaryPages: 0, stats };
}

/**
 * A dictionary chunk when a chunk's values repeat (at most `values.length / fewer` distinct), else
 * nothing. Dividends (mostly 0), split ratios and load times are such columns.
 */
function repeatedValuesChunk(
  physical: number,
  values: Float64Array,
  fewer: number,
  rows: number,
  levels: Uint8Array,
  stats: ChunkStats,
): Chunk | undefined {
  const ids = new Map<number, number>();
  const indices = new Int32Array(values.length);
  const limit = Math.floor(values.length / fewer);
  // The first values decide for columns of mostly distinct values (prices, indicators), which
  // otherwise filled the map to `limit` (2,048 entries for an 8,192-row double chunk) to give up.
  const sample = Math.min(values.length, 1024), sampleLimit = Math.floor(sample / fewer);
  for (let i = 0; i < values.length; i++) {
    let id = ids.get(values[i]);
    if (id === undefined) {
      if (ids.size === limit || (i < sample && ids.size === sampleLimit)) return undefined;
      ids.set(values[i], id = ids.size);
    }
    indices[i] = id;
  }
  const dict = new ByteWriter(ids.size * 8);
  for (const v of ids.keys()) {
    if (physical === INT32) dict.int32LE(v);
    else if (physical === INT64) dict.int64LE(v);
    else dict.float64LE(v);
  }
  const width = dictionaryWidth(ids.size);
  const body = new ByteWriter(64);
  body.byte(width);
  rleHybrid(body, indices, values.length, width);
  return dictionaryChunk(ids.size, dict.view(), rows, rows - values.length, levels, body.view(), stats);
}
