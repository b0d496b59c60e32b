/**
 * One stored raw reply -> validated daily bars with lineage: the per-reply step of a rebuild
 * shard, whether it runs inline or in a worker.
 * @module
 */
import type { RawMeta } from "../../lake/raw.ts";
import type { Batch } from "../../lake/schemas/columns.ts";
import { storedResponse } from "../sources/http.ts";
import { type Rejection, stageBars } from "../stages/curate_daily_bars.ts";
import { DAILY_PARSERS } from "./daily_sources.ts";

export interface Staged {
  batch: Batch;
  rejected: Rejection[];
}

export function stageRawReply(
  provider: keyof typeof DAILY_PARSERS,
  key: string,
  meta: RawMeta,
  body: Uint8Array,
): Staged {
  const symbol = String(meta.request?.symbol ?? "");
  const range = { fromDay: Number(meta.request?.from_day ?? 0), toDay: Number(meta.request?.to_day ?? 1e6) };
  const { batch } = DAILY_PARSERS[provider].parse(storedResponse(meta, body), symbol, range);
  return stageBars(batch, Date.parse(meta.fetched_at), key);
}
