/**
 * One shard of a rebuild: the raw replies of a contiguous range of symbols, staged as they
 * arrive. At the end each year comes back either as encoded Parquet row groups (a partition that
 * does not exist yet: the shards' row groups, in symbol order, join into one file) or as rows to
 * merge into the partition that does. Runs inline or in a worker ({@linkcode ./rebuild_worker.ts}).
 * @module
 */
import { type EncodedRowGroups, encodeRowGroups } from "../../lake/parquet/parquet_writer.ts";
import type { RawMeta } from "../../lake/raw.ts";
import { type Batch, concatBatches, emptyBatch, takeRows } from "../../lake/schemas/columns.ts";
import { DAILY_BARS } from "../../lake/schemas/daily_bars.ts";
import {
  concatPacked,
  packBatch,
  type PackedBatch,
  packedBuffers,
  type PackedStrings,
  slicePacked,
  unpackBatch,
} from "../../lake/schemas/packed.ts";
import { mergeDailyBars, yearRuns } from "../stages/curate_daily_bars.ts";
import type { DAILY_PARSERS } from "./daily_sources.ts";
import { stageRawReply } from "./stage_reply.ts";

export interface ShardYear {
  year: number;
  /** Rows after de-duplication within the shard. */
  rows: number;
  encoded?: EncodedRowGroups;
  packed?: PackedBatch;
}

export interface ShardResult {
  bars: number;
  rejected: number;
  failed: { raw_ref: string; message: string }[];
  years: ShardYear[];
}

export interface Shard {
  /** Stage one reply; a reply that cannot be parsed is recorded as failed, not thrown. */
  add(key: string, meta: RawMeta, body: Uint8Array): void;
  /**
   * Every staged row by year: encoded where `encode(year)` says so, else packed for a merge. The
   * shard is then empty, ready for the next run of replies.
   */
  finish(encode: (year: number) => boolean): ShardResult;
}

/** Which years a shard encodes: none (the engine writes), or all but those that already exist. */
export type EncodeYears = false | { except: number[] };

export function encodesYear(e: EncodeYears): (year: number) => boolean {
  const except = new Set(e ? e.except : []);
  return (year) => e !== false && !except.has(year);
}

const symbolOf = (p: PackedBatch) => (p.columns.symbol as PackedStrings).dict[0] ?? "";

/**
 * Whether parts (sorted by symbol) hold each (symbol, date) once and in order, so that joining
 * them needs no merge: each part is one symbol's bars in ascending days, and two parts of one
 * symbol (two replies) do not overlap.
 */
function disjoint(parts: PackedBatch[]): boolean {
  for (let k = 0; k < parts.length; k++) {
    if ((parts[k].columns.symbol as PackedStrings).dict.length !== 1) return false;
    const days = parts[k].columns.date as Float64Array;
    for (let i = 1; i < days.length; i++) if (!(days[i - 1] < days[i])) return false;
    const prev = k > 0 ? parts[k - 1].columns.date as Float64Array : undefined;
    if (prev?.length && days.length && symbolOf(parts[k]) === symbolOf(parts[k - 1]) && prev.at(-1)! >= days[0]) {
      return false;
    }
  }
  return true;
}

/**
 * One year's parts sorted by (symbol, date), the later reply winning a repeated key: the parts
 * themselves when they do not overlap (the rule), else one merged batch.
 */
function joinYear(parts: PackedBatch[]): PackedBatch[] {
  const bySymbol = (a: PackedBatch, b: PackedBatch) => {
    const x = symbolOf(a), y = symbolOf(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
  parts.sort(bySymbol); // stable: a symbol's parts stay in staging order
  if (disjoint(parts)) return parts;
  const incoming = concatBatches(DAILY_BARS, parts.map(unpackBatch));
  const { batch } = mergeDailyBars(emptyBatch(DAILY_BARS), incoming);
  return [packBatch(batch)];
}

/** A staged reply packed once, then cut into one view per calendar year. */
function packedYears(b: Batch): [number, PackedBatch][] {
  const dates = b.columns.date as Float64Array;
  const runs = yearRuns(dates);
  if (!runs) {
    // Not in day order (no parser returns that): sort, keeping repeated days in reply order.
    return packedYears(takeRows(b, Array.from(dates.keys()).sort((x, y) => dates[x] - dates[y] || x - y)));
  }
  const packed = packBatch(b);
  return runs.map(([year, start, end]) => [year, slicePacked(packed, start, end)]);
}

export function createShard(provider: keyof typeof DAILY_PARSERS): Shard {
  // Staged rows are kept packed, one part per reply and year: strings as tiny dictionaries and
  // int keys, so the heap holds no per-row strings and collects fast.
  let byYear = new Map<number, PackedBatch[]>();
  let result: ShardResult = { bars: 0, rejected: 0, failed: [], years: [] };
  return {
    add(key, meta, body) {
      try {
        const { batch, rejected } = stageRawReply(provider, key, meta, body);
        result.bars += batch.length;
        result.rejected += rejected.length;
        for (const [year, part] of packedYears(batch)) (byYear.get(year) ?? byYear.set(year, []).get(year)!).push(part);
      } catch (e) {
        result.failed.push({ raw_ref: key, message: (e as Error).message });
      }
    },
    finish(encode) {
      for (const year of [...byYear.keys()].sort((a, b) => a - b)) {
        const parts = joinYear(byYear.get(year)!);
        byYear.delete(year);
        const rows = parts.reduce((n, p) => n + p.length, 0);
        result.years.push(
          encode(year)
            ? { year, rows, encoded: encodeRowGroups(parts, DAILY_BARS) }
            : { year, rows, packed: concatPacked(parts) },
        );
      }
      // Ready for the next shard.
      const done = result;
      byYear = new Map();
      result = { bars: 0, rejected: 0, failed: [], years: [] };
      return done;
    },
  };
}

/** The buffers of a shard's result, to move across a worker boundary. */
export function shardBuffers(r: ShardResult): ArrayBuffer[] {
  return r.years.flatMap((y) =>
    y.encoded ? [y.encoded.bytes.buffer as ArrayBuffer] : y.packed ? packedBuffers(y.packed) : []
  );
}
