/**
 * Worker entry for a rebuild's parse step: one raw reply in, its staged bars out (packed, moved).
 * @module
 */
import type { RawMeta } from "../../lake/raw.ts";
import { serveWorker } from "../../lake/worker_pool.ts";
import type { DAILY_PARSERS } from "./daily_sources.ts";
import { packStaged, stageRawReply } from "./stage_reply.ts";

export interface ParseTask {
  provider: keyof typeof DAILY_PARSERS;
  key: string;
  meta: RawMeta;
  body: Uint8Array;
}

serveWorker<ParseTask, ReturnType<typeof packStaged>[0]>(({ provider, key, meta, body }) =>
  packStaged(stageRawReply(provider, key, meta, body))
);
