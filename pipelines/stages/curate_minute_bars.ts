/**
 * Pure transforms from provider minute bars to curated `minute_bars` partitions: rows with
 * lineage, validated, merged by (symbol, ts) like daily bars.
 * @module
 */
import { newYorkOffsetHours, regularSessionMinutes } from "../../lake/calendar.ts";
import { type Batch, emptyBatch, roundPrice, takeRows } from "../../lake/schemas/columns.ts";
import { MINUTE_BARS } from "../../lake/schemas/minute_bars.ts";
import type { AlpacaBar } from "../sources/alpaca/client.ts";
import type { Rejection } from "./curate_daily_bars.ts";
import { mergeByKey, type MergeKey, type MergeResult, mergeSortedStream, type SymbolRows } from "./merge_bars.ts";

const DAY_MS = 86_400_000;

/** The session of a bar starting at `ms`: before 09:30 New York is pre, from the close (16:00, or an early close) post. */
export function sessionOf(ms: number): "pre" | "regular" | "post" {
  const local = ms + newYorkOffsetHours(Math.floor(ms / DAY_MS)) * 3_600_000;
  const minute = (((local % DAY_MS) + DAY_MS) % DAY_MS) / 60_000;
  return minute < 570 ? "pre" : minute < 570 + regularSessionMinutes(Math.floor(local / DAY_MS)) ? "regular" : "post";
}

/**
 * Alpaca bars of one symbol -> `minute_bars` rows with lineage; rows that break a rule are left
 * out and reported.
 *
 * @example A regular-session bar
 * ```ts
 * import { stageMinuteBars } from "./curate_minute_bars.ts";
 * const bar = { t: "2024-01-02T14:30:00Z", o: 10, h: 11, l: 9.5, c: 10.5, v: 1200, n: 10, vw: 10.2 };
 * const { batch } = stageMinuteBars([bar], { symbol: "X", source: "alpaca", ingestedAt: 0, rawRef: "raw/x" });
 * if (batch.columns.session[0] !== "regular") throw new Error();
 * ```
 */
export function stageMinuteBars(
  bars: AlpacaBar[],
  lineage: { symbol: string; source: string; ingestedAt: number; rawRef: string },
  /** The requested window (epoch ms, inclusive): a bar outside it is refused, not filed elsewhere. */
  window = { start: -Infinity, end: Infinity },
): { batch: Batch; rejected: Rejection[] } {
  const all = emptyBatch(MINUTE_BARS, bars.length);
  const c = all.columns as Record<string, Float64Array> & Record<"symbol" | "session" | "source" | "raw_ref", string[]>;
  const good: number[] = [];
  const rejected: Rejection[] = [];
  bars.forEach((b, i) => {
    const ts = Date.parse(b.t);
    const [o, h, l, cl] = [roundPrice(b.o), roundPrice(b.h), roundPrice(b.l), roundPrice(b.c)];
    const reason = !Number.isFinite(ts)
      ? "timestamp missing"
      : ts < window.start || ts > window.end
      ? "outside the requested window"
      : !(o > 0 && h > 0 && l > 0 && cl > 0)
      ? "non-positive price"
      : l > Math.min(o, cl) || h < Math.max(o, cl)
      ? "low <= open, close <= high must hold"
      : !Number.isInteger(b.v) || b.v < 0
      ? "volume must be a non-negative integer"
      : "";
    if (reason) return void rejected.push({ symbol: lineage.symbol, date: b.t, reason });
    c.symbol[i] = lineage.symbol;
    c.ts[i] = ts;
    c.session[i] = sessionOf(ts);
    [c.open[i], c.high[i], c.low[i], c.close[i]] = [o, h, l, cl];
    c.volume[i] = b.v;
    c.trades[i] = b.n ?? NaN;
    c.vwap[i] = b.vw === undefined ? NaN : roundPrice(b.vw);
    c.source[i] = lineage.source;
    c.ingested_at[i] = lineage.ingestedAt;
    c.raw_ref[i] = lineage.rawRef;
    good.push(i);
  });
  return { batch: good.length === bars.length ? all : takeRows(all, good), rejected };
}

const MINUTE_KEY: MergeKey = {
  spec: MINUTE_BARS,
  time: "ts",
  step: 60_000,
  values: ["open", "high", "low", "close", "volume", "trades", "vwap"],
  fetched: "ingested_at",
  // IEX is one exchange's trades: its bar for a minute never replaces a consolidated one (Alpaca's
  // SIP feed, Yahoo). Rows written before the feed was recorded say `alpaca`, nearly always IEX.
  rank: (source) => (source === "alpaca_iex" || source === "alpaca" ? 0 : 1),
};

/** Merge incoming minute bars into a month partition: newest wins, identical reruns change nothing. */
export function mergeMinuteBars(existing: Batch, incoming: Batch): MergeResult {
  return mergeByKey(MINUTE_KEY, existing, incoming);
}

/** {@linkcode mergeMinuteBars} for a whole month partition, streamed: see `mergeSortedStream`. */
export function mergeMinuteStream(
  existing: AsyncIterable<Batch>,
  incoming: AsyncIterable<SymbolRows>,
  emit: (b: Batch, changed: boolean) => Promise<void>,
) {
  return mergeSortedStream(MINUTE_KEY, existing, incoming, emit);
}
