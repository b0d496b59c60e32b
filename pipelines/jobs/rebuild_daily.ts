/**
 * Rebuild curated daily bars from the raw layer alone: every stored reply is parsed again and
 * merged into the year partitions. This is the lineage promise in action (curated is a pure
 * function of raw) and the path the ingest benchmark measures.
 * @module
 */
import { layout } from "../../lake/layout.ts";
import type { ParquetEngine } from "../../lake/parquet/engine.ts";
import { readRawMeta } from "../../lake/raw.ts";
import { type Batch, takeRows } from "../../lake/schemas/columns.ts";
import type { ObjectStore } from "../../lake/store.ts";
import { createProgress, type Logger, silentLogger } from "../log.ts";
import type { RawResponse } from "../sources/http.ts";
import { checkDailyBars, type Rejection } from "../stages/curate_daily_bars.ts";
import { curateDailyBars, type DailyBarSource } from "./ingest_daily.ts";

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

/** Rebuild from the given raw keys (default: every completed reply of the source's dataset). */
export async function rebuildDailyBars(
  { store, engine, source, rawKeys, log = silentLogger }: {
    store: ObjectStore;
    engine: ParquetEngine;
    source: Pick<DailyBarSource, "provider" | "dataset" | "parse">;
    rawKeys?: string[];
    log?: Logger;
  },
): Promise<RebuildSummary> {
  const keys = rawKeys ??
    (await store.list(layout.rawPrefix(source.provider, source.dataset)))
      .map((o) => o.key).filter((k) => k.endsWith(".meta.json")).map((k) => k.slice(0, -".meta.json".length));
  const batches: Batch[] = [];
  const rejections: Rejection[] = [];
  const failed: RebuildSummary["failed"] = [];
  const progress = createProgress(log, "rebuild.progress", keys.length);
  for (const key of keys) {
    try {
      const [meta, body] = await Promise.all([readRawMeta(store, key), store.get(key)]);
      if (!meta || !body) throw new Error("raw reply or its metadata is missing");
      const symbol = String(meta.request?.symbol ?? "");
      const range = { fromDay: Number(meta.request?.from_day ?? 0), toDay: Number(meta.request?.to_day ?? 1e6) };
      const reply: RawResponse = {
        provider: meta.provider,
        url: meta.url,
        status: meta.status,
        contentType: meta.content_type,
        body,
        fetchedAt: new Date(meta.fetched_at),
        requestId: meta.request_id,
        latencyMs: 0,
      };
      const { batch } = source.parse(reply, symbol, range);
      const lineaged: Batch = {
        length: batch.length,
        columns: {
          ...batch.columns,
          ingested_at: new Float64Array(batch.length).fill(Date.parse(meta.fetched_at)),
          raw_ref: new Array(batch.length).fill(key),
        },
      };
      const { good, rejected } = checkDailyBars(lineaged);
      rejections.push(...rejected);
      batches.push(rejected.length ? takeRows(lineaged, good) : lineaged);
    } catch (e) {
      failed.push({ raw_ref: key, message: (e as Error).message });
    }
    progress.tick();
  }
  const bars = batches.reduce((n, b) => n + b.length, 0);
  const curated = await curateDailyBars(store, engine, batches);
  return {
    replies: keys.length,
    bars,
    rejected: rejections.length,
    failed,
    ...curated,
  };
}
