/**
 * Rebuild curated daily bars from the raw layer alone: every stored reply is parsed again and
 * merged into the year partitions. This is the lineage promise in action (curated is a pure
 * function of raw) and the path the ingest benchmark measures.
 *
 * The replies are sorted by symbol and cut into shards of a bounded size, which the workers (or
 * this thread, where there are none) take in turn. A shard parses its replies and, for a year whose
 * partition does not exist yet, encodes its rows as Parquet row groups itself; this thread only
 * reads replies and streams the shards' row groups, in symbol order, into one file per year. Years
 * that already have a partition are merged here as a stream, as an ingest merges. Shards land in
 * order with a bounded lead, so memory does not grow with the lake.
 * @module
 */
import { layout } from "../../lake/layout.ts";
import type { ParquetEngine } from "../../lake/parquet/engine.ts";
import { createPartsSink, type EncodedRowGroups, type ParquetSink } from "../../lake/parquet/parquet_writer.ts";
import { type RawMeta, readRawMetas, storedReplies } from "../../lake/raw.ts";
import { DAILY_BARS } from "../../lake/schemas/daily_bars.ts";
import { unpackBatch } from "../../lake/schemas/packed.ts";
import type { ObjectStore, ObjectWriter } from "../../lake/store.ts";
import { createWorkerPool, workersAvailable } from "../../lake/worker_pool.ts";
import { createProgress, type Logger, silentLogger } from "../log.ts";
import { DAILY_PARSERS } from "./daily_sources.ts";
import { symbolRuns } from "../stages/merge_bars.ts";
import { DAILY_YEARS } from "./curate_daily.ts";
import { yearMerges } from "./merge_partition.ts";
import { createShard, encodesYear, type EncodeYears, type ShardResult } from "./rebuild_shard.ts";
import type { ShardMessage } from "./rebuild_worker.ts";
import { asTableWriter } from "./lake_writer.ts";

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
    const job = { store: opts.store, table: "daily_bars", job: "rebuild_daily", log: opts.log } as const;
    return await asTableWriter(job, () => rebuildWith(runners, opts));
  } finally {
    for (const r of runners) r.close();
  }
}

async function rebuildWith(
  runners: ShardRunner[],
  { store, engine, provider, rawKeys, log = silentLogger, shardBars = SHARD_BARS }: RebuildOptions,
): Promise<RebuildSummary> {
  const { dataset } = DAILY_PARSERS[provider];
  const keys = rawKeys ?? await storedReplies(store, provider, dataset);
  const failed: RebuildSummary["failed"] = [];
  const metas = await readRawMetas(store, keys);
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
    .map((o) => layout.partitionYear(o.key)).filter((y) => y !== undefined);
  // The shards run this library's own Parquet writer; another engine writes on this thread.
  const encode: EncodeYears = engine.name === "wasm" && { except: existing };
  const shards = shardsOf(replies, shardBars);
  const progress = createProgress(log, "rebuild.progress", keys.length);
  // Shards finish in any order but land in symbol order. A runner starts a shard only once the
  // shard `ahead` before it has landed, so memory holds a few shards' results, not the lake's.
  // A landed shard's result is dropped from here: the array must not keep every result alive.
  const finished: (PromiseWithResolvers<ShardResult> | undefined)[] = shards.map(() => Promise.withResolvers());
  const landed = shards.map(() => Promise.withResolvers<void>());
  // Whoever gives up first rejects what the other waits on; nobody need await those rejections.
  for (const d of [...finished, ...landed]) d!.promise.catch(() => {});
  const ahead = runners.length + 1;
  let next = 0;
  const parsing = Promise.all(runners.map(async (runner) => {
    for (let k = next++; k < shards.length; k = next++) {
      if (k >= ahead) await landed[k - ahead].promise;
      try {
        finished[k]!.resolve(await parseShard(store, runner, shards[k], encode, failed, progress));
      } catch (e) {
        finished[k]!.reject(e);
        throw e;
      }
    }
  }));
  const landing = landShards(store, engine, shards.length, (k) => finished[k]!.promise, (k) => {
    finished[k] = undefined;
    landed[k].resolve();
  })
    .catch((e) => {
      for (const d of landed) d.reject(e);
      throw e;
    });
  const [, summary] = await Promise.all([parsing, landing]);
  return { ...summary, replies: keys.length, failed: [...failed, ...summary.failed] };
}

/** Read a shard's replies, a batch ahead of the runner parsing them, and take its result. */
async function parseShard(
  store: ObjectStore,
  runner: ShardRunner,
  list: Reply[],
  encode: EncodeYears,
  failed: RebuildSummary["failed"],
  progress: ReturnType<typeof createProgress>,
): Promise<ShardResult> {
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
  return runner.finish(encode);
}

/**
 * Land shard results in order: a year the shards encoded streams its row groups into a new
 * partition, committed at the end; a year that has a partition is merged into it as a stream.
 */
async function landShards(
  store: ObjectStore,
  engine: ParquetEngine,
  count: number,
  result: (k: number) => Promise<ShardResult>,
  onLanded: (k: number) => void,
): Promise<Omit<RebuildSummary, "replies">> {
  const summary = {
    bars: 0,
    rejected: 0,
    failed: [] as RebuildSummary["failed"],
    inserted: 0,
    updated: 0,
    unchanged: 0,
  };
  const merges = yearMerges(store, engine, DAILY_YEARS);
  const fresh = new Map<number, { out: ObjectWriter; file: ParquetSink<EncodedRowGroups> }>();
  const write = async (out: ObjectWriter, chunks: Uint8Array[]) => {
    for (const c of chunks) await out.write(c);
  };
  try {
    for (let k = 0; k < count; k++) {
      const r = await result(k);
      summary.bars += r.bars;
      summary.rejected += r.rejected;
      summary.failed.push(...r.failed);
      for (const y of r.years) {
        if (y.encoded) {
          let f = fresh.get(y.year);
          if (!f) {
            f = { out: store.openWrite(layout.dailyBarsPartition(y.year)), file: createPartsSink(DAILY_BARS) };
            fresh.set(y.year, f);
          }
          await write(f.out, f.file.append(y.encoded));
          summary.inserted += y.encoded.rows;
        }
        if (y.packed) { for (const rows of symbolRuns(unpackBatch(y.packed))) await merges.push(y.year, rows); }
      }
      onLanded(k);
    }
    for (const f of fresh.values()) {
      await write(f.out, f.file.finish());
      await f.out.commit();
    }
  } catch (e) {
    await Promise.all([merges.fail(e), ...[...fresh.values()].map((f) => f.out.abort())]);
    throw e;
  }
  const merged = await merges.close();
  return {
    ...summary,
    inserted: summary.inserted + merged.inserted,
    updated: merged.updated,
    unchanged: merged.unchanged,
    partitions_written: fresh.size + merged.partitions_written,
  };
}
