/**
 * Rebuild curated daily bars from the raw layer alone: every stored reply is parsed again and
 * merged into the year partitions. This is the lineage promise in action (curated is a pure
 * function of raw) and the path the ingest benchmark measures.
 *
 * The replies are sorted by symbol and cut into shards of a bounded size, which the workers (or
 * this thread, where there are none) take in turn. A shard parses its replies and, for a year whose
 * partition does not exist yet, encodes its rows as Parquet row groups itself; this thread only
 * reads replies and joins the shards' row groups, in symbol order, into one file per year. Years
 * that already have a partition are merged here, as an ingest merges.
 * @module
 */
import { layout } from "../../lake/layout.ts";
import type { ParquetEngine } from "../../lake/parquet/engine.ts";
import { assembleParquet, type EncodedRowGroups } from "../../lake/parquet/parquet_writer.ts";
import { type RawMeta, readRawMeta } from "../../lake/raw.ts";
import type { Batch } from "../../lake/schemas/columns.ts";
import { DAILY_BARS } from "../../lake/schemas/daily_bars.ts";
import { unpackBatch } from "../../lake/schemas/packed.ts";
import type { ObjectStore } from "../../lake/store.ts";
import { createWorkerPool, workersAvailable } from "../../lake/worker_pool.ts";
import { createProgress, type Logger, silentLogger } from "../log.ts";
import { DAILY_PARSERS } from "./daily_sources.ts";
import { curateDailyBars } from "./curate_daily.ts";
import { createShard, encodesYear, type EncodeYears, type ShardResult } from "./rebuild_shard.ts";
import type { ShardMessage } from "./rebuild_worker.ts";

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

interface Reply {
  key: string;
  meta: RawMeta;
  symbol: string;
}

/** Replies sent to a shard at once. */
const BATCH = 8;
/** Bars per shard (estimated from request ranges): ~300 MB of a worker's heap at its peak. */
const SHARD_BARS = 550_000;

/** A shard behind one interface, whether it runs here or in a worker. */
interface ShardRunner {
  add(replies: { key: string; meta: RawMeta; body: Uint8Array }[]): Promise<void>;
  finish(encode: EncodeYears): Promise<ShardResult>;
  close(): void;
}

function inlineShard(provider: keyof typeof DAILY_PARSERS): ShardRunner {
  const shard = createShard(provider);
  return {
    add: (replies) => Promise.resolve(replies.forEach((r) => shard.add(r.key, r.meta, r.body))),
    finish: (encode) => Promise.resolve(shard.finish(encodesYear(encode))),
    close() {},
  };
}

function workerShard(provider: keyof typeof DAILY_PARSERS): ShardRunner {
  // A pool of one: the shard's state lives in that worker, and tasks reach it in order.
  const pool = createWorkerPool<ShardMessage, ShardResult | null>(new URL("./rebuild_worker.ts", import.meta.url), 1);
  return {
    add: async (replies) =>
      void await pool.run({ op: "add", provider, replies }, replies.map((r) => r.body.buffer as ArrayBuffer)),
    finish: async (encode) => (await pool.run({ op: "finish", provider, encode }))!,
    close: () => pool.close(),
  };
}

/** Trading days a reply can hold, from its request's day range (capped at its fetch day). */
function estimatedBars(meta: RawMeta): number {
  const fetchedDay = Math.floor(Date.parse(meta.fetched_at) / 86_400_000);
  const from = Number(meta.request?.from_day ?? fetchedDay - 365);
  const to = Math.min(Number(meta.request?.to_day ?? fetchedDay), fetchedDay);
  return Math.max(1, ((to - from + 1) * 252) / 365);
}

/**
 * Split replies (sorted by symbol) into runs of about `size` bars; a symbol is never split. Each
 * run is staged and encoded on its own, so memory holds one run per worker plus the encoded row
 * groups, however large the lake. Sized in bars, not replies, so that a lake of many short
 * (daily) replies still gets row groups of full size.
 */
function shardsOf(replies: Reply[], size: number): Reply[][] {
  const out: Reply[][] = [];
  for (let start = 0; start < replies.length;) {
    let end = start, bars = 0;
    while (end < replies.length && (end === start || bars < size || replies[end].symbol === replies[end - 1].symbol)) {
      bars += estimatedBars(replies[end++].meta);
    }
    out.push(replies.slice(start, end));
    start = end;
  }
  return out;
}

/** Read the metadata of every reply, a few at a time. */
async function readMetas(store: ObjectStore, keys: string[]): Promise<(RawMeta | undefined)[]> {
  const metas = new Array<RawMeta | undefined>(keys.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < keys.length; i = next++) metas[i] = await readRawMeta(store, keys[i]);
  };
  await Promise.all(Array.from({ length: 16 }, lane));
  return metas;
}

export interface RebuildOptions {
  store: ObjectStore;
  engine: ParquetEngine;
  provider: keyof typeof DAILY_PARSERS;
  /** Raw keys to parse (default: every completed reply of the provider's dataset). */
  rawKeys?: string[];
  log?: Logger;
  /** Shard over this many workers (0: on this thread). */
  workers?: number;
  /** About this many bars per shard (a symbol's replies are never split). */
  shardBars?: number;
}

/** Rebuild curated daily bars from raw replies. */
export async function rebuildDailyBars(opts: RebuildOptions): Promise<RebuildSummary> {
  const { provider, workers = 0 } = opts;
  // Workers start first: loading their modules overlaps with listing and reading metadata.
  const parallel = workers > 0 && workersAvailable();
  const runners = Array.from(
    { length: parallel ? workers : 1 },
    () => parallel ? workerShard(provider) : inlineShard(provider),
  );
  try {
    return await rebuildWith(runners, opts);
  } finally {
    for (const r of runners) r.close();
  }
}

async function rebuildWith(
  runners: ShardRunner[],
  { store, engine, provider, rawKeys, log = silentLogger, shardBars = SHARD_BARS }: RebuildOptions,
): Promise<RebuildSummary> {
  const { dataset } = DAILY_PARSERS[provider];
  const keys = rawKeys ??
    (await store.list(layout.rawPrefix(provider, dataset)))
      .map((o) => o.key).filter((k) => k.endsWith(".meta.json")).map((k) => k.slice(0, -".meta.json".length));
  const failed: RebuildSummary["failed"] = [];
  const metas = await readMetas(store, keys);
  const replies: Reply[] = [];
  keys.forEach((key, i) => {
    const meta = metas[i];
    if (!meta) failed.push({ raw_ref: key, message: "raw reply metadata is missing" });
    else replies.push({ key, meta, symbol: String(meta.request?.symbol ?? "") });
  });
  // By symbol, then fetch time: of two replies for a symbol, the later one is staged last and wins.
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  replies.sort((a, b) => cmp(a.symbol, b.symbol) || cmp(a.meta.fetched_at, b.meta.fetched_at) || cmp(a.key, b.key));

  const existing = (await store.list(layout.dailyBarsPrefix))
    .map((o) => /year=(\d+)\//.exec(o.key)?.[1]).filter((y) => y !== undefined).map(Number);
  // The shards run this library's own Parquet writer; another engine writes on this thread.
  const encode: EncodeYears = engine.name === "wasm" && { except: existing };
  const shards = shardsOf(replies, shardBars);
  const progress = createProgress(log, "rebuild.progress", keys.length);
  const results = new Array<ShardResult>(shards.length);
  let next = 0;
  // Each runner takes the next shard when it is done with one; results keep shard (symbol) order.
  await Promise.all(runners.map(async (runner) => {
    for (let k = next++; k < shards.length; k = next++) {
      const list = shards[k];
      // The next few replies are read while the shard parses the previous ones.
      const read = (i: number) => Promise.all(list.slice(i, i + BATCH).map((r) => store.get(r.key)));
      let parsing = Promise.resolve();
      let reading = read(0);
      for (let i = 0; i < list.length; i += BATCH) {
        const bodies = await reading;
        reading = read(i + BATCH);
        await parsing;
        const present = list.slice(i, i + BATCH).flatMap((r, j) => {
          const body = bodies[j];
          if (body) return [{ key: r.key, meta: r.meta, body }];
          failed.push({ raw_ref: r.key, message: "raw reply is missing" });
          return [];
        });
        parsing = runner.add(present);
        progress.tick(bodies.length);
      }
      await parsing;
      results[k] = await runner.finish(encode);
    }
  }));

  const summary: RebuildSummary = {
    replies: keys.length,
    bars: 0,
    rejected: 0,
    failed,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    partitions_written: 0,
  };
  const encoded = new Map<number, EncodedRowGroups[]>();
  const toMerge: Batch[] = [];
  for (const r of results) {
    summary.bars += r.bars;
    summary.rejected += r.rejected;
    failed.push(...r.failed);
    for (const y of r.years) {
      if (y.encoded) (encoded.get(y.year) ?? encoded.set(y.year, []).get(y.year)!).push(y.encoded);
      if (y.packed) toMerge.push(unpackBatch(y.packed));
    }
  }
  // Each put is atomic on its own; together they overlap their writes and syncs.
  await Promise.all([...encoded].map(async ([year, parts]) => {
    await store.put(layout.dailyBarsPartition(year), assembleParquet(DAILY_BARS, parts));
    summary.inserted += parts.reduce((n, p) => n + p.rows, 0);
    summary.partitions_written++;
  }));
  const merged = await curateDailyBars(store, engine, toMerge);
  summary.inserted += merged.inserted;
  summary.updated += merged.updated;
  summary.unchanged += merged.unchanged;
  summary.partitions_written += merged.partitions_written;
  return summary;
}
