/**
 * Ticklake's own Parquet writer for its table specs. parquet-wasm's writer, with the Arrow IPC
 * round trip it needs, took about half the CPU of a bulk rebuild; writing the few types and
 * encodings our tables use straight from packed columns costs a fraction of that. Row groups can
 * be encoded apart (on several workers) and joined into one file. Column chunks: ./column_chunk.ts.
 * @module
 */
import type { TableSpec } from "../schemas/columns.ts";
import { type PackedBatch, slicePacked } from "../schemas/packed.ts";
import { concatBytes } from "../store.ts";
import { ByteWriter } from "./bytes.ts";
import { type ChunkStats, type ColumnState, planColumn, writeChunk } from "./column_chunk.ts";
import { DEFAULT_ROW_GROUP, type EncodeOptions } from "./engine.ts";
import { type Field, writeStruct } from "./thrift.ts";

const MAGIC = new TextEncoder().encode("PAR1");

/** One column chunk's place and form, offsets relative to the encoded row groups' bytes. */
export interface ChunkMeta extends ChunkStats {
  start: number;
  dataOffset: number;
  dictionaryOffset?: number;
  compressed: number;
  uncompressed: number;
  codec: number;
  encodings: number[];
}

export interface RowGroupMeta {
  rows: number;
  start: number;
  compressed: number;
  uncompressed: number;
  columns: ChunkMeta[];
}

/**
 * Row groups encoded without a file around them. Parts encoded apart (on several workers) join
 * into one file with {@linkcode assembleParquet}; metadata is plain data, so it crosses workers.
 */
export interface EncodedRowGroups {
  rows: number;
  bytes: Uint8Array;
  rowGroups: RowGroupMeta[];
}

function statsFields({ nulls, min, max }: ChunkStats): Field[] {
  return [[3, "i64", nulls], [5, "binary", max], [6, "binary", min]];
}

function checkedColumns(p: PackedBatch, spec: TableSpec) {
  return spec.map((c) => {
    const col = p.columns[c.name];
    if (!col) throw new TypeError(`Cannot encode: column '${c.name}' is missing`);
    if (col instanceof Float64Array !== (c.type !== "varchar")) {
      throw new TypeError(`Cannot encode: column '${c.name}' does not hold ${c.type} values`);
    }
    return col;
  });
}

/**
 * Encode packed batches, in order, as row groups of `rowGroupSize` rows without header or footer.
 * Several parts are read in place: a row group may span parts, and nothing is concatenated first.
 */
export function encodeRowGroups(
  input: PackedBatch | PackedBatch[],
  spec: TableSpec,
  options: EncodeOptions = {},
): EncodedRowGroups {
  const all = Array.isArray(input) ? input : [input];
  all.forEach((p) => checkedColumns(p, spec));
  const parts = all.filter((p) => p.length > 0);
  const columns = parts.map((p) => checkedColumns(p, spec));
  const plans = spec.map(planColumn);
  const states = spec.map((): ColumnState => ({ encoded: new Map(), zstdPaid: true, untried: 0 }));
  const size = Math.max(1, options.rowGroupSize ?? DEFAULT_ROW_GROUP);
  const total = parts.reduce((n, p) => n + p.length, 0);
  const pages: Uint8Array[] = [];
  let offset = 0;
  const rowGroups: RowGroupMeta[] = [];
  // Cursor over the parts: part `k`, row `at` within it.
  let k = 0, at = 0;
  for (let from = 0; from < total; from += size) {
    const rows = Math.min(size, total - from);
    const spans: { part: number; start: number; end: number }[] = [];
    for (let left = rows; left > 0;) {
      const take = Math.min(left, parts[k].length - at);
      spans.push({ part: k, start: at, end: at + take });
      left -= take;
      at += take;
      if (at === parts[k].length) k++, at = 0;
    }
    const start = offset;
    const metas = plans.map((plan, c): ChunkMeta => {
      const segments = spans.map(({ part, start, end }) => ({ column: columns[part][c], start, end }));
      const chunk = writeChunk(plan, segments, states[c], rows);
      const chunkStart = offset;
      for (const page of chunk.pages) pages.push(page), offset += page.length;
      return {
        ...chunk.stats,
        start: chunkStart,
        dataOffset: chunkStart + (chunk.dictionaryPages ? chunk.pages[0].length : 0),
        dictionaryOffset: chunk.dictionaryPages ? chunkStart : undefined,
        compressed: offset - chunkStart,
        uncompressed: chunk.uncompressed,
        codec: chunk.codec,
        encodings: chunk.encodings,
      };
    });
    rowGroups.push({
      rows,
      start,
      compressed: offset - start,
      uncompressed: metas.reduce((n, m) => n + m.uncompressed, 0),
      columns: metas,
    });
  }
  const bytes = new Uint8Array(offset);
  let pos = 0;
  for (const page of pages) bytes.set(page, pos), pos += page.length;
  return { rows: total, bytes, rowGroups };
}

/** Where encoded parts sit in a file, after the leading magic: what a footer needs of them. */
type PlacedPart = Pick<EncodedRowGroups, "rows" | "rowGroups"> & { size: number };

/** The footer (metadata, its length, magic) of a file that holds `parts` in order after "PAR1". */
function parquetFooter(spec: TableSpec, parts: PlacedPart[]): Uint8Array {
  const plans = spec.map(planColumn);
  const rowGroups: Field[][] = [];
  let base = MAGIC.length;
  for (const part of parts) {
    for (const g of part.rowGroups) {
      const chunks = g.columns.map((m, k): Field[] => [[2, "i64", base + m.start], [3, "struct", [
        [1, "i32", plans[k].physical],
        [2, "list<i32>", m.encodings],
        [3, "list<binary>", [spec[k].name]],
        [4, "i32", m.codec],
        [5, "i64", g.rows],
        [6, "i64", m.uncompressed],
        [7, "i64", m.compressed],
        [9, "i64", base + m.dataOffset],
        [11, "i64", m.dictionaryOffset === undefined ? undefined : base + m.dictionaryOffset],
        [12, "struct", statsFields(m)],
      ]]]);
      rowGroups.push([
        [1, "list<struct>", chunks],
        [2, "i64", g.uncompressed],
        [3, "i64", g.rows],
        [5, "i64", base + g.start],
        [6, "i64", g.compressed],
      ]);
    }
    base += part.size;
  }
  const footer = new ByteWriter(4096);
  writeStruct(footer, [
    [1, "i32", 2],
    [2, "list<struct>", [[[4, "binary", "schema"], [5, "i32", spec.length]], ...plans.map((c) => c.schema)]],
    [3, "i64", parts.reduce((n, p) => n + p.rows, 0)],
    [4, "list<struct>", rowGroups],
    [6, "binary", "ticklake"],
    // Type-defined order for every column, so that readers trust min_value/max_value.
    [7, "list<struct>", spec.map(() => [[1, "struct", []]] as Field[])],
  ]);
  const footerLength = footer.length;
  footer.int32LE(footerLength);
  footer.bytes(MAGIC);
  return footer.view();
}

/** One Parquet file from parts encoded for the same spec, their rows in the given order. */
export function assembleParquet(spec: TableSpec, parts: EncodedRowGroups[]): Uint8Array {
  const file = createPartsSink(spec);
  return concatBytes([...parts.flatMap((p) => file.append(p)), ...file.finish()]);
}

/**
 * Encode a packed batch as one Parquet file, in row groups of `rowGroupSize` rows.
 *
 * @example
 * ```ts
 * import { writeParquet } from "./parquet_writer.ts";
 * const bytes = writeParquet({ length: 1, columns: { x: new Float64Array([7]) } }, [{ name: "x", type: "bigint" }]);
 * if (new TextDecoder().decode(bytes.subarray(-4)) !== "PAR1") throw new Error();
 * ```
 */
export function writeParquet(p: PackedBatch, spec: TableSpec, options: EncodeOptions = {}): Uint8Array {
  return assembleParquet(spec, [encodeRowGroups(p, spec, options)]);
}

/** A Parquet file handed out a piece at a time, as soon as each piece's bytes are final. */
export interface ParquetSink<In> {
  /** Add to the file after what was added before; returns the bytes this made final, if any. */
  append(input: In): Uint8Array[];
  /** The rest of the file, footer included. */
  finish(): Uint8Array[];
}

/**
 * One file from parts encoded apart, handed out as they arrive: it keeps only their metadata.
 * {@linkcode assembleParquet} joins its output into one piece.
 */
export function createPartsSink(spec: TableSpec): ParquetSink<EncodedRowGroups> {
  const written: PlacedPart[] = [];
  return {
    append(part) {
      if (part.rows === 0) return [];
      written.push({ rows: part.rows, rowGroups: part.rowGroups, size: part.bytes.length });
      return written.length === 1 ? [MAGIC, part.bytes] : [part.bytes];
    },
    finish: () => [...written.length ? [] : [MAGIC], parquetFooter(spec, written)],
  };
}

/**
 * A streaming {@linkcode writeParquet}: each full row group is encoded as soon as its rows have
 * arrived and handed back, so the sink holds less than one row group of rows and, of what it
 * wrote, only the row groups' metadata, however many rows pass through it.
 */
export function createParquetSink(spec: TableSpec, options: EncodeOptions = {}): ParquetSink<PackedBatch> {
  const size = Math.max(1, options.rowGroupSize ?? DEFAULT_ROW_GROUP);
  const parts = createPartsSink(spec);
  const pending: PackedBatch[] = [];
  let rows = 0;
  const encodeFirst = (n: number): Uint8Array[] => {
    const take: PackedBatch[] = [];
    for (let left = n; left > 0;) {
      const p = pending[0];
      if (p.length <= left) take.push(pending.shift()!), left -= p.length;
      else take.push(slicePacked(p, 0, left)), pending[0] = slicePacked(p, left, p.length), left = 0;
    }
    rows -= n;
    return parts.append(encodeRowGroups(take, spec, options));
  };
  return {
    append(p) {
      if (p.length === 0) return [];
      pending.push(p);
      rows += p.length;
      return rows >= size ? encodeFirst(rows - rows % size) : [];
    },
    finish: () => [...rows ? encodeFirst(rows) : [], ...parts.finish()],
  };
}
