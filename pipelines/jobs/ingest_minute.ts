/**
 * The minute-bars ingest (Alpaca 1Min, or Yahoo 1m for the last 30 days): every page lands in raw
 * first, then its bars are staged with lineage and merged into the curated month partition.
 * Merging is idempotent, so a rerun duplicates nothing; one symbol's failure is recorded and the
 * run goes on. A run is keyed by its parameters: rerun after a crash or with failures, it skips
 * the symbol-months it already curated.
 * @module
 */
import { newYorkMidnightMs } from "../../lake/calendar.ts";
import { layout } from "../../lake/layout.ts";
import type { ParquetEngine } from "../../lake/parquet/engine.ts";
import { readRawMeta, writeRaw } from "../../lake/raw.ts";
import { finishRun, newRunId, openCheckpoint, type RunFailure } from "../../lake/runs.ts";
import { type Batch, concatBatches, isoSeconds, isoToDays } from "../../lake/schemas/columns.ts";
import { MINUTE_BARS } from "../../lake/schemas/minute_bars.ts";
import { type ObjectStore, putJson } from "../../lake/store.ts";
import { canonicalSymbols } from "../../lake/symbol.ts";
import { createProgress, type Logger, silentLogger } from "../log.ts";
import type { Clock } from "../net/clock.ts";
import { type RetryPolicy, withRetry } from "../net/retry.ts";
import { storedResponse } from "../sources/http.ts";
import type { Router } from "../net/router.ts";
import type { Rejection } from "../stages/curate_daily_bars.ts";
import { mergeMinuteStream, stageMinuteBars } from "../stages/curate_minute_bars.ts";
import { parseRange } from "./dates.ts";
import { failureReason, rethrowLakeFailure } from "./failures.ts";
import { mergeIntoPartition } from "./merge_partition.ts";
import type { MinutePage, MinuteSource, MinuteWindow } from "./minute_sources.ts";
import { asTableWriter } from "./lake_writer.ts";
import { STOPPED, unlessStopped } from "../interrupt.ts";

export interface MinuteIngestOptions {
  store: ObjectStore;
  engine: ParquetEngine;
  /** The provider to use, or several in failover order (then `net` routes between them). */
  source: MinuteSource | MinuteSource[];
  symbols: string[];
  /** Inclusive New York trading dates, `YYYY-MM-DD`. */
  from: string;
  to: string;
  /** Rate limits, breakers and retries; without it each page gets one attempt from the first source. */
  net?: { router: Router; clock: Clock; retry?: RetryPolicy };
  now?: () => Date;
  log?: Logger;
  /**
   * Once aborted, no new symbol-month is started and the one in flight is left for the rerun; the
   * month's partition takes what was fetched, and the checkpoint stays (see ../interrupt.ts).
   */
  stop?: AbortSignal;
}

export interface MinuteIngestSummary {
  run_id: string;
  resumed: boolean;
  symbols_total: number;
  symbols_ok: number;
  symbols_failed: number;
  /** Symbols with a month that a stop left unfetched: the same command fetches them. */
  symbols_pending: number;
  /** Symbol-months curated by an earlier attempt of this run, not fetched again. */
  symbol_months_skipped: number;
  /** Symbol-months fetched, by the provider that served them. */
  served_by: Record<string, number>;
  /** Symbol-months whose provider had only the window's later part (Yahoo keeps 30 days of 1m bars). */
  symbol_months_clipped: number;
  /** Symbol-months an earlier attempt fetched but did not curate, parsed again from their raw pages. */
  symbol_months_reparsed: number;
  pages: number;
  bars_fetched: number;
  rows_rejected: number;
  rows_inserted: number;
  rows_updated: number;
  rows_unchanged: number;
  partitions_written: number;
  failures: RunFailure[];
  elapsed_s: number;
}

interface Checkpoint {
  run_id: string;
  started_at: string;
  /** Per month, the symbols whose bars are already curated. */
  done: Record<string, string[]>;
  /**
   * Per month, symbols fetched whole but not yet curated, with their pages' raw keys: a resumed
   * run parses those pages again instead of fetching the symbol-month a second time.
   */
  fetched?: Record<string, Record<string, StoredMonth>>;
}

/** A symbol-month's pages in the raw layer, in page order, and the provider that served them. */
interface StoredMonth {
  provider: string;
  pages: string[];
}

type MonthWindow = { month: string; start: string; end: string };
type Page = MinutePage & { rawKey: string; provider: string; label: string; fetchedAt: number };

/** A stored page read back as the reply it was, parsed as when it was fetched. */
async function storedPage(store: ObjectStore, source: MinuteSource, symbol: string, window: MinuteWindow, key: string) {
  const [body, meta] = await Promise.all([store.get(key), readRawMeta(store, key)]);
  if (!body || !meta) throw new Error(`raw page ${key} is missing`);
  const cursor = (meta.request?.cursor ?? null) as string | null;
  return {
    ...source.parse(storedResponse(meta, body), symbol, window, cursor),
    rawKey: key,
    provider: source.provider,
    label: source.label,
    fetchedAt: Date.parse(meta.fetched_at),
  };
}

/** Pages of one symbol and month beyond this are refused (a month is ~9,000 regular minutes). */
const MAX_PAGES = 50;

/**
 * The UTC calendar months that `[from, to]` (New York dates, midnight to midnight there) touch,
 * each as the window to request: a day's post-market runs to 20:00 New York, past midnight UTC.
 */
export function monthWindows(from: string, to: string): MonthWindow[] {
  const first = newYorkMidnightMs(isoToDays(from)), last = newYorkMidnightMs(isoToDays(to) + 1) - 1000;
  const out = [];
  for (let t = first; t <= last;) {
    const d = new Date(t);
    const next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    const end = Math.min(last, next - 1000);
    out.push({ month: isoSeconds(t).slice(0, 7), start: isoSeconds(t), end: isoSeconds(end) });
    t = next;
  }
  return out;
}

/**
 * Run one minute-bars ingest, month by month: each symbol's month is fetched and merged into
 * that month's partition as a stream, and the partition is committed once its symbols are done,
 * so memory holds one symbol's month and a few row groups, and finished months stay written if
 * the run dies. Hostile symbols and impossible ranges fail before any request.
 */
export async function ingestMinuteBars(opts: MinuteIngestOptions): Promise<MinuteIngestSummary> {
  const { store, engine } = opts;
  const log = opts.log ?? silentLogger;
  const now = opts.now ?? (() => new Date());
  const started = performance.now();
  const symbols = canonicalSymbols(opts.symbols);
  if (symbols.length === 0) throw new RangeError("Cannot ingest minute bars: no symbols given");
  parseRange(opts.from, opts.to, now());
  const sources = Array.isArray(opts.source) ? opts.source : [opts.source];
  if (sources.length === 0) throw new RangeError("Cannot ingest minute bars: no source configured");
  const byName = new Map<string, MinuteSource>(sources.map((s) => [s.provider, s]));
  const months = monthWindows(opts.from, opts.to);
  // Held to the end: the same run started meanwhile is refused (RunUnderWayError).
  await using run = await openCheckpoint<Checkpoint>(
    store,
    "ingest_minute",
    { sources: sources.map((s) => s.key), symbols: [...symbols].sort(), from: opts.from, to: opts.to },
    () => ({ run_id: newRunId(now()), started_at: now().toISOString(), done: {} }),
    now(),
  );
  const { key: cpKey, checkpoint: cp, resumed } = run;
  const pendingIn = (month: string) => symbols.filter((s) => !cp.done[month]?.includes(s));
  const pending = months.reduce((n, m) => n + pendingIn(m.month).length, 0);
  log.info("minute.start", {
    run_id: cp.run_id,
    resumed,
    symbols: symbols.length,
    months: months.length,
    pending_symbol_months: pending,
    from: opts.from,
    to: opts.to,
    sources: sources.map((s) => s.key),
    lake: store.url,
  });

  /** One page from one source: the reply lands in raw first, usable or not, then is parsed. */
  const fetchPage = async (source: MinuteSource, symbol: string, window: MinuteWindow, cursor: string | null) => {
    const reply = await source.fetch(symbol, window, cursor);
    const rawKey = await writeRaw(store, reply, {
      dataset: source.dataset,
      name: symbol,
      request: { symbol, start: new Date(window.start).toISOString(), end: new Date(window.end).toISOString(), cursor },
    });
    return {
      ...source.parse(reply, symbol, window, cursor),
      rawKey,
      provider: source.provider,
      label: source.label,
      fetchedAt: reply.fetchedAt.getTime(),
    };
  };

  /** A page from the first source that can serve it; `pinned` keeps a month's later pages on its first page's source. */
  const routedPage = (symbol: string, window: MinuteWindow, cursor: string | null, pinned?: string) => {
    if (!opts.net) return fetchPage(byName.get(pinned ?? sources[0].provider)!, symbol, window, cursor);
    const { router, clock, retry } = opts.net;
    return router.run("minute", (provider) => {
      const source = byName.get(provider);
      if (!source) throw new Error(`${provider} has no minute-bar source configured`);
      return withRetry(() => fetchPage(source, symbol, window, cursor), {
        clock,
        policy: retry,
        onRetry: (r) =>
          log.warn("minute.retry", {
            symbol,
            provider,
            attempt: r.attempt,
            delay_ms: r.delayMs,
            reason: (r.error as Error).message,
          }),
      });
    }, pinned ? [pinned] : [...byName.keys()]).then((r) => r.value);
  };

  /** One symbol's month from one provider, page by page, every page stored raw first. */
  async function* fetchedPages(symbol: string, month: MonthWindow, window: MinuteWindow): AsyncGenerator<Page> {
    let cursor: string | null = null;
    let provider: string | undefined;
    for (let n = 1;; n++) {
      const page: Page = await routedPage(symbol, window, cursor, provider);
      provider = page.provider;
      yield page;
      cursor = page.next;
      if (!cursor) return;
      if (n >= MAX_PAGES) throw new RangeError(`Cannot page past ${MAX_PAGES} pages for ${symbol} in ${month.month}`);
    }
  }

  /** The pages an earlier attempt of this run fetched for a symbol-month, read back from raw. */
  async function* storedPages(symbol: string, window: MinuteWindow, stored: StoredMonth): AsyncGenerator<Page> {
    const source = byName.get(stored.provider);
    if (!source) throw new Error(`${stored.provider} has no minute-bar source configured`);
    for (const key of stored.pages) yield await storedPage(store, source, symbol, window, key);
  }

  /** A symbol's month staged from its pages; throws if any page is unusable. */
  const stageMonth = async (symbol: string, window: MinuteWindow, pages: AsyncIterable<Page>) => {
    const batches: Batch[] = [];
    const rejected: Rejection[] = [];
    const stored: StoredMonth = { provider: "", pages: [] };
    let availableFrom: number | undefined;
    for await (const page of pages) {
      stored.provider = page.provider;
      stored.pages.push(page.rawKey);
      availableFrom ??= page.availableFrom;
      const staged = stageMinuteBars(page.bars, {
        symbol,
        source: page.simulated ? "simulated" : page.label,
        // The page's fetch time, parsed again from raw or not: see `MergeKey.fetched`.
        ingestedAt: page.fetchedAt,
        rawRef: page.rawKey,
      }, window);
      batches.push(staged.batch);
      rejected.push(...staged.rejected);
    }
    return { batch: concatBatches(MINUTE_BARS, batches), rejected, stored, availableFrom };
  };

  /** A symbol's month: from the raw pages an earlier attempt kept, else (or if those fail) fetched. */
  const monthOf = async (symbol: string, month: MonthWindow) => {
    const window = { start: Date.parse(month.start), end: Date.parse(month.end) };
    const stored = cp.fetched?.[month.month]?.[symbol];
    if (stored) {
      try {
        const staged = await stageMonth(symbol, window, storedPages(symbol, window, stored));
        totals.reparsed++;
        return staged;
      } catch (e) {
        log.warn("minute.reparse_failed", { symbol, month: month.month, message: (e as Error).message });
      }
    }
    const staged = await stageMonth(symbol, window, fetchedPages(symbol, month, window));
    totals.pages += staged.stored.pages.length;
    servedBy[staged.stored.provider] = (servedBy[staged.stored.provider] ?? 0) + 1;
    ((cp.fetched ??= {})[month.month] ??= {})[symbol] = staged.stored;
    await putJson(store, cpKey, cp);
    return staged;
  };

  const failures: RunFailure[] = [];
  const rejections: Rejection[] = [];
  const totals = {
    pages: 0,
    bars: 0,
    clipped: 0,
    reparsed: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    partitions_written: 0,
  };
  const servedBy: Record<string, number> = {};
  /**
   * The month's symbols fetched one by one, in ascending order, for the streaming merge. A symbol
   * that fails is recorded and left out: only a month fetched whole is curated, and its raw pages
   * stay either way.
   */
  async function* fetchedSymbols(window: MonthWindow, fetched: string[], clipped: number[]) {
    for (const symbol of pendingIn(window.month).sort()) {
      if (opts.stop?.aborted) return;
      try {
        // A symbol-month a stop leaves behind is fetched by the rerun.
        const month = await unlessStopped(monthOf(symbol, window), opts.stop);
        if (month === STOPPED) return;
        const { batch, rejected, availableFrom } = month;
        if (availableFrom !== undefined) clipped.push(availableFrom);
        fetched.push(symbol);
        rejections.push(...rejected);
        progress.tick(1, { symbol, month: window.month });
        totals.bars += batch.length;
        if (batch.length) yield { symbol, batch };
      } catch (e) {
        rethrowLakeFailure(e);
        const reason = failureReason(e);
        // With several sources, every one was tried: the message says why each failed.
        failures.push({
          symbol,
          provider: [...byName.keys()].join("/"),
          reason,
          message: `${window.month}: ${(e as Error).message}`,
        });
        log.error("minute.symbol_failed", { symbol, month: window.month, reason, message: (e as Error).message });
        progress.tick(1, { symbol, month: window.month, failed: true });
      }
    }
  }

  const progress = createProgress(log, "minute.progress", pending);
  for (const window of months) {
    if (opts.stop?.aborted) break;
    const fetched: string[] = [];
    const clipped: number[] = [];
    const merged = await asTableWriter(
      { store, table: "minute_bars", job: "ingest_minute", log },
      () =>
        mergeIntoPartition(
          { store, engine },
          layout.minuteBarsPartition(window.month),
          MINUTE_BARS,
          mergeMinuteStream,
          fetchedSymbols(window, fetched, clipped),
        ),
    );
    if (clipped.length) {
      // One line a month: the horizon is the provider's, the same for every symbol.
      totals.clipped += clipped.length;
      log.warn("minute.clipped", {
        month: window.month,
        symbols: clipped.length,
        available_from: new Date(Math.min(...clipped)).toISOString(),
        reason: "the provider keeps no older minutes: the month holds only its later part",
      });
    }
    totals.inserted += merged.inserted;
    totals.updated += merged.updated;
    totals.unchanged += merged.unchanged;
    if (merged.written) totals.partitions_written++;
    if (fetched.length) {
      // Recorded only once the month's partition holds their bars.
      cp.done[window.month] = [...(cp.done[window.month] ?? []), ...fetched];
      delete cp.fetched?.[window.month];
      await putJson(store, cpKey, cp);
    }
  }

  const failed = new Set(failures.map((f) => f.symbol));
  // Without a stop, every symbol-month left undone failed.
  const unfetched = new Set(months.flatMap((m) => pendingIn(m.month)).filter((s) => !failed.has(s))).size;
  const summary: MinuteIngestSummary = {
    run_id: cp.run_id,
    resumed,
    symbols_total: symbols.length,
    symbols_ok: symbols.length - failed.size - unfetched,
    symbols_failed: failed.size,
    symbols_pending: unfetched,
    symbol_months_skipped: symbols.length * months.length - pending,
    served_by: servedBy,
    symbol_months_clipped: totals.clipped,
    symbol_months_reparsed: totals.reparsed,
    pages: totals.pages,
    bars_fetched: totals.bars,
    rows_rejected: rejections.length,
    rows_inserted: totals.inserted,
    rows_updated: totals.updated,
    rows_unchanged: totals.unchanged,
    partitions_written: totals.partitions_written,
    failures,
    elapsed_s: Number(((performance.now() - started) / 1000).toFixed(3)),
  };
  await finishRun(store, "ingest_minute", { checkpointKey: cpKey, ...cp }, now(), summary, {
    from: opts.from,
    to: opts.to,
    months: months.length,
    pages: totals.pages,
    rejected: rejections.length,
    resumed: summary.resumed,
  });
  log.info("minute.done", { ...summary, failures: failures.length });
  return summary;
}
