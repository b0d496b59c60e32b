/**
 * Worker entry for one rebuild shard: `add` messages stage a few replies each (bodies moved, not
 * copied; several per message, because a message round trip costs about a millisecond),
 * then `finish` returns the shard's years and starts over. One shard at a time per worker.
 * @module
 */
import type { RawMeta } from "../../lake/raw.ts";
import { serveWorker } from "../../lake/worker_pool.ts";
import type { DAILY_PARSERS } from "./daily_sources.ts";
import {
  createShard,
  encodesYear,
  type EncodeYears,
  type Shard,
  shardBuffers,
  type ShardResult,
} from "./rebuild_shard.ts";

export type ShardMessage =
  | { op: "add"; provider: keyof typeof DAILY_PARSERS; replies: { key: string; meta: RawMeta; body: Uint8Array }[] }
  | { op: "finish"; provider: keyof typeof DAILY_PARSERS; encode: EncodeYears };

let shard: Shard | undefined;

serveWorker<ShardMessage, ShardResult | null>((m) => {
  shard ??= createShard(m.provider);
  if (m.op === "add") {
    for (const r of m.replies) shard.add(r.key, r.meta, r.body);
    return [null, []];
  }
  const result = shard.finish(encodesYear(m.encode));
  return [result, shardBuffers(result)];
});
