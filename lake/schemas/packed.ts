/**
 * A batch in a form that crosses a worker boundary cheaply: numbers stay typed arrays (one
 * memcpy), strings become a dictionary plus int keys instead of millions of cloned strings.
 * @module
 */
import type { Batch, Column } from "./columns.ts";

/** Strings as indices into `dict`; -1 is null. */
export interface PackedStrings {
  dict: string[];
  keys: Int32Array;
}

export interface PackedBatch {
  length: number;
  columns: Record<string, Float64Array | PackedStrings>;
}

/** Dictionary-encode a string column. */
export function packStrings(col: (string | null)[]): PackedStrings {
  const ids = new Map<string, number>();
  const keys = new Int32Array(col.length);
  let last: string | null = null, lastId = -1;
  for (let i = 0; i < col.length; i++) {
    const s = col[i];
    // Runs of one value are the rule (symbol, raw_ref), so the previous value is checked first.
    if (s === last) keys[i] = lastId;
    else if (s === null) keys[i] = lastId = -1, last = null;
    else {
      let id = ids.get(s);
      if (id === undefined) ids.set(s, id = ids.size);
      keys[i] = lastId = id;
      last = s;
    }
  }
  return { dict: [...ids.keys()], keys };
}

export function unpackStrings({ dict, keys }: PackedStrings): (string | null)[] {
  const out = new Array<string | null>(keys.length);
  for (let i = 0; i < keys.length; i++) out[i] = keys[i] < 0 ? null : dict[keys[i]];
  return out;
}

/** Pack `b`. Numeric columns are shared, not copied; a view into a larger buffer is compacted. */
export function packBatch(b: Batch): PackedBatch {
  const columns: PackedBatch["columns"] = {};
  for (const [name, col] of Object.entries(b.columns)) {
    columns[name] = col instanceof Float64Array
      ? (col.byteLength === col.buffer.byteLength ? col : col.slice())
      : packStrings(col);
  }
  return { length: b.length, columns };
}

/** Rows `[start, end)` of `p`, as views: nothing is copied. */
export function slicePacked(p: PackedBatch, start: number, end: number): PackedBatch {
  const columns: PackedBatch["columns"] = {};
  for (const [name, col] of Object.entries(p.columns)) {
    columns[name] = col instanceof Float64Array
      ? col.subarray(start, end)
      : { dict: col.dict, keys: col.keys.subarray(start, end) };
  }
  return { length: end - start, columns };
}

export function unpackBatch(p: PackedBatch): Batch {
  const columns: Record<string, Column> = {};
  for (const [name, col] of Object.entries(p.columns)) {
    columns[name] = col instanceof Float64Array ? col : unpackStrings(col);
  }
  return { length: p.length, columns };
}

/** The buffers of `p`, to transfer rather than copy. Only for batches the sender drops. */
export function packedBuffers(p: PackedBatch): ArrayBuffer[] {
  return Object.values(p.columns).map((c) => (c instanceof Float64Array ? c.buffer : c.keys.buffer) as ArrayBuffer);
}

function remapKeys(out: Int32Array, off: number, from: Int32Array, remap: Int32Array) {
  for (let i = 0; i < from.length; i++) {
    const k = from[i];
    out[off + i] = k < 0 ? -1 : remap[k];
  }
}

/** Join packed batches that share a column set, merging their string dictionaries. */
export function concatPacked(parts: PackedBatch[]): PackedBatch {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const columns: PackedBatch["columns"] = {};
  for (const name of Object.keys(parts[0]?.columns ?? {})) {
    if (parts[0].columns[name] instanceof Float64Array) {
      const out = new Float64Array(length);
      let off = 0;
      for (const p of parts) out.set(p.columns[name] as Float64Array, off), off += p.length;
      columns[name] = out;
      continue;
    }
    const ids = new Map<string, number>();
    const keys = new Int32Array(length);
    let off = 0;
    for (const p of parts) {
      const { dict, keys: from } = p.columns[name] as PackedStrings;
      // Each part's dictionary is small (usually one value), so it is remapped, not its rows.
      const remap = Int32Array.from(dict, (s) => ids.get(s) ?? (ids.set(s, ids.size), ids.size - 1));
      remapKeys(keys, off, from, remap);
      off += p.length;
    }
    columns[name] = { dict: [...ids.keys()], keys };
  }
  return { length, columns };
}
