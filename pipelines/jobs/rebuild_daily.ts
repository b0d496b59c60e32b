/**
 * Rebuild curated daily bars from the raw layer alone: every stored reply is parsed again and
 * merged into the year partitions. This is the lineage promise in action (curated is a pure
 * function of raw) and the path the ingest benchmark measures. With `workers`, replies are parsed
 * on that many workers while this thread reads the next ones.
 * @module
 */
import { layout } from "../../lake/layout.ts";
import type { ParquetEngine } from "../../lake/parquet/engine.ts";
import { type RawMeta, readRawMeta } from "../../lake/raw.ts";
import { type PackedBatch, unpackBatch } from "../../lake/schemas/packed.ts";
import type { ObjectStore } from "../../lake/store.ts";
import { createWorkerPool, workersAvailable } from "../../lake/worker_pool.ts";
import { createProgress, type Logger, silentLogger } from "../log.ts";
import type { Rejection } from "../stages/curate_daily_bars.ts";
import { DAILY_PARSERS } from "./daily_sources.ts";
import { curateDailyBars } from "./ingest_daily.ts";
import { type Staged, stageRawReply } from "./stage_reply.ts";
import type { ParseTask } from "./rebuild_worker.ts";

export interface RebuildSummary {
  replies: number;
  bars: number;
  rejected: number;
  failed: { raw_ref: string; message: string }[];
  inserted: number;
  updated: number;
  unchanged: number;
  partitions_written: number;
}

/** Rebuild from the given raw keys (default: every completed reply of the provider's dataset). */
export async function rebuildDailyBars(
  { store, engine, provider, rawKeys, log = silentLogger, workers = 0 }: {
    store: ObjectStore;
    engine: ParquetEngine;
    provider: keyof typeof DAILY_PARSERS;
    rawKeys?: string[];
    log?: Logger;
    /** Parse on this many workers (0: on this thread). */
    workers?: number;
  },
): Promise<RebuildSummary> {
  const { dataset } = DAILY_PARSERS[provider];
  const keys = rawKeys ??
    (await store.list(layout.rawPrefix(provider, dataset)))
      .map((o) => o.key).filter((k) => k.endsWith(".meta.json")).map((k) => k.slice(0, -".meta.json".length));
  const pool = workers > 0 && workersAvailable()
    ? createWorkerPool<ParseTask, { batch: PackedBatch; rejected: Rejection[] }>(
      new URL("./rebuild_worker.ts", import.meta.url),
      workers,
    )
    : undefined;
  const stage = async (key: string, meta: RawMeta, body: Uint8Array): Promise<Staged> => {
    if (!pool) return stageRawReply(provider, key, meta, body);
    const out = await pool.run({ provider, key, meta, body }, [body.buffer as ArrayBuffer]);
    return { batch: unpackBatch(out.batch), rejected: out.rejected };
  };

  // Results are kept in key order, so that of two replies for one symbol the later one wins.
  const staged = new Array<Staged | undefined>(keys.length);
  const failed: RebuildSummary["failed"] = [];
  const progress = createProgress(log, "rebuild.progress", keys.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < keys.length; i = next++) {
      const key = keys[i];
      try {
        const [meta, body] = await Promise.all([readRawMeta(store, key), store.get(key)]);
        if (!meta || !body) throw new Error("raw reply or its metadata is missing");
        staged[i] = await stage(key, meta, body);
      } catch (e) {
        failed.push({ raw_ref: key, message: (e as Error).message });
      }
      progress.tick();
    }
  };
  try {
    // Two reads in flight per worker keep every worker busy while this thread waits on I/O.
    await Promise.all(Array.from({ length: Math.max(1, 2 * (pool?.size ?? 0)) }, lane));
  } finally {
    pool?.close();
  }
  const done = staged.filter((s): s is Staged => !!s);
  const bars = done.reduce((n, s) => n + s.batch.length, 0);
  const rejected = done.reduce((n, s) => n + s.rejected.length, 0);
  const curated = await curateDailyBars(store, engine, done.map((s) => s.batch));
  return { replies: keys.length, bars, rejected, failed, ...curated };
}
