/**
 * Column types shared by the lake's tables and the Parquet engines, and the in-memory columnar
 * batch the pure stages pass around. Numbers are `Float64Array` with `NaN` for null; dates are
 * epoch days, timestamps epoch milliseconds, decimals plain numbers rounded to their scale.
 * @module
 */

export type ColumnType =
  | "varchar"
  | "date"
  | "timestamp"
  | "bigint"
  | "double"
  | `decimal(${number},${number})`;

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  nullable?: boolean;
  /** Min/max statistics for pruning (default on); off for long strings nobody filters on. */
  statistics?: boolean;
}

/** A table's column list, in file order. */
export type TableSpec = readonly ColumnSpec[];

export type Column = Float64Array | (string | null)[];

/** Rows as columns. Every column has `length` entries. */
export interface Batch {
  length: number;
  columns: Record<string, Column>;
}

/** `[precision, scale]` of a decimal column type, or `undefined`. */
export function decimalOf(t: ColumnType): [number, number] | undefined {
  const m = /^decimal\((\d+),(\d+)\)$/.exec(t);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** An empty batch with the spec's columns. */
export function emptyBatch(spec: TableSpec, length = 0): Batch {
  const columns: Record<string, Column> = {};
  for (const c of spec) {
    columns[c.name] = c.type === "varchar" ? new Array(length).fill(null) : new Float64Array(length);
  }
  return { length, columns };
}

/** A new batch holding rows `index[i]` of `b`, in that order. */
export function takeRows(b: Batch, index: ArrayLike<number>): Batch {
  const columns: Record<string, Column> = {};
  for (const [name, col] of Object.entries(b.columns)) {
    if (col instanceof Float64Array) {
      const out = new Float64Array(index.length);
      for (let i = 0; i < index.length; i++) out[i] = col[index[i]];
      columns[name] = out;
    } else {
      const out = new Array<string | null>(index.length);
      for (let i = 0; i < index.length; i++) out[i] = col[index[i]];
      columns[name] = out;
    }
  }
  return { length: index.length, columns };
}

/** Rows `[start, end)` of `b`: numbers as views, strings copied. */
export function sliceBatch(b: Batch, start: number, end: number): Batch {
  const columns: Record<string, Column> = {};
  for (const [name, col] of Object.entries(b.columns)) {
    columns[name] = col instanceof Float64Array ? col.subarray(start, end) : col.slice(start, end);
  }
  return { length: end - start, columns };
}

/** Concatenate batches that share a column set. */
export function concatBatches(spec: TableSpec, batches: Batch[]): Batch {
  const length = batches.reduce((n, b) => n + b.length, 0);
  const out = emptyBatch(spec, length);
  let off = 0;
  for (const b of batches) {
    for (const c of spec) {
      const src = b.columns[c.name];
      const dst = out.columns[c.name];
      if (dst instanceof Float64Array) dst.set(src as Float64Array, off);
      else for (let i = 0; i < b.length; i++) dst[off + i] = (src as (string | null)[])[i];
    }
    off += b.length;
  }
  return out;
}

/** Days since 1970-01-01 for an ISO date `YYYY-MM-DD`. */
export function isoToDays(iso: string): number {
  return Date.parse(`${iso}T00:00:00Z`) / 86_400_000;
}

/** ISO date `YYYY-MM-DD` for days since 1970-01-01. */
export function daysToIso(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10);
}

/** ISO timestamp to the second, `YYYY-MM-DDTHH:MM:SSZ`, as providers and the replay write minutes. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

/** A price at the lake's precision (DECIMAL(18,4): sub-dollar stocks trade in $0.0001 steps). */
export function roundPrice(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/** A numeric column of `b` (throws if it is a string column). */
export function num(b: Batch, name: string): Float64Array {
  const c = b.columns[name];
  if (!(c instanceof Float64Array)) throw new TypeError(`Cannot read column '${name}' as numbers`);
  return c;
}

/** A string column of `b` (throws if it is a numeric column). */
export function str(b: Batch, name: string): (string | null)[] {
  const c = b.columns[name];
  if (!Array.isArray(c)) throw new TypeError(`Cannot read column '${name}' as strings`);
  return c;
}
