/**
 * One shard of a rebuild: the raw replies of a contiguous range of symbols, staged as they
 * arrive. At the end each year comes back either as encoded Parquet row groups (a partition that
 * does not exist yet: the shards' row groups, in symbol order, join into one file) or as rows to
 * merge into the partition that does. Runs inline or in a worker ({@linkcode ./rebuild_worker.ts}).
 * @module
 */
import { type EncodedRowGroups, encodeRowGroups } from "../../lake/parquet/parquet_writer.ts";
import type { RawMeta } from "../../lake/raw.ts";
import { type Batch, emptyBatch } from "../../lake/schemas/columns.ts";
import { DAILY_BARS } from "../../lake/schemas/daily_bars.ts";
import { packBatch, type PackedBatch, packedBuffers } from "../../lake/schemas/packed.ts";
import { incomingByYear, mergeDailyBars } from "../stages/curate_daily_bars.ts";
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
  /** Every staged row by year: encoded where `encode(year)` says so, else packed for a merge. */
  finish(encode: (year: number) => boolean): ShardResult;
}

export function createShard(provider: keyof typeof DAILY_PARSERS): Shard {
  let staged: Batch[] = [];
  const result: ShardResult = { bars: 0, rejected: 0, failed: [], years: [] };
  return {
    add(key, meta, body) {
      try {
        const { batch, rejected } = stageRawReply(provider, key, meta, body);
        staged.push(batch);
        result.bars += batch.length;
        result.rejected += rejected.length;
      } catch (e) {
        result.failed.push({ raw_ref: key, message: (e as Error).message });
      }
    },
    finish(encode) {
      for (const [year, incoming] of incomingByYear(staged)) {
        // Into an empty partition: this only drops repeated keys (the later reply wins).
        const { batch } = mergeDailyBars(emptyBatch(DAILY_BARS), incoming);
        const packed = packBatch(batch);
        result.years.push(
          encode(year)
            ? { year, rows: batch.length, encoded: encodeRowGroups(packed, DAILY_BARS) }
            : { year, rows: batch.length, packed },
        );
      }
      staged = [];
      return result;
    },
  };
}

/** Which years a shard encodes: none (the engine writes), or all but those that already exist. */
export type EncodeYears = false | { except: number[] };

export function encodesYear(e: EncodeYears): (year: number) => boolean {
  const except = new Set(e ? e.except : []);
  return (year) => e !== false && !except.has(year);
}

/** The buffers of a shard's result, to move across a worker boundary. */
export function shardBuffers(r: ShardResult): ArrayBuffer[] {
  return r.years.flatMap((y) =>
    y.encoded ? [y.encoded.bytes.buffer as ArrayBuffer] : y.packed ? packedBuffers(y.packed) : []
  );
}
