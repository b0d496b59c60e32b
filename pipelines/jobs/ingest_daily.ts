/**
 * The daily-bars ingest: fetch each symbol (raw), stage it (typed Parquet per fetch), then merge
 * the load into the curated year partitions, read back from staging one symbol at a time
 * (./curate_daily.ts), so memory does not grow with the universe. A run is keyed by its
 * parameters: rerun after a crash, it finds its checkpoint, skips every symbol already staged, and
 * curates again (merging is idempotent, so nothing is duplicated).
 * @module
 */
import { layout } from "../../lake/layout.ts";
import type { ParquetEngine } from "../../lake/parquet/engine.ts";
import { writeRaw } from "../../lake/raw.ts";
import { type Batch, daysToIso } from "../../lake/schemas/columns.ts";
import { DAILY_BARS } from "../../lake/schemas/daily_bars.ts";
import type { ObjectStore } from "../../lake/store.ts";
import { canonicalSymbols } from "../../lake/symbol.ts";
import { createProgress, type Logger, silentLogger } from "../log.ts";
import type { RawResponse } from "../sources/http.ts";
import { type Rejection, stageBars } from "../stages/curate_daily_bars.ts";
import { restateFrom } from "../stages/adjustment_basis.ts";
import { lakeBases, type LakeBasis } from "../../lake/daily_reader.ts";
import { parseRange } from "./dates.ts";
import { curateStaged } from "./curate_daily.ts";
import { computeIndicatorTables } from "./compute_indicators.ts";
import { failureReason, rethrowLakeFailure } from "./failures.ts";
import type { Clock } from "../net/clock.ts";
import { type RetryPolicy, withRetry } from "../net/retry.ts";
import type { Router } from "../net/router.ts";
import { finishRun, newRunId, openCheckpoint, type RunFailure } from "../../lake/runs.ts";
import { asTableWriter } from "./lake_writer.ts";
import { STOPPED, unlessStopped } from "../interrupt.ts";

/** Where daily bars come from: one provider's fetch and its pure parser. */
export interface DailyBarSource {
  provider: "yahoo" | "alphavantage" | "alpaca";
  /** Raw dataset name, e.g. `chart_1d`. */
  dataset: string;
  fetch(symbol: string, range: DayRange): Promise<RawResponse>;
  /**
   * Bars without lineage columns (`ingested_at`, `raw_ref`); throws ProviderError when unusable.
   * `openSessions`: days whose session had not closed when fetched, left out (see closed_sessions.ts).
   */
  parse(
    reply: RawResponse,
    symbol: string,
    range: DayRange,
  ): { batch: Batch; warnings: string[]; openSessions?: number[] };
}

export interface DayRange {
  fromDay: number;
  toDay: number;
}

export interface IngestOptions {
  store: ObjectStore;
  engine: ParquetEngine;
  /** The provider to use, or several in failover order (then `net` routes between them). */
  source: DailyBarSource | DailyBarSource[];
  /** Rate limits, quotas, breakers and retries; without it each symbol gets one attempt. */
  net?: { router: Router; clock: Clock; retry?: RetryPolicy };
  symbols: string[];
  from: string;
  to: string;
  now?: () => Date;
  log?: Logger;
  concurrency?: number;
  /** Refresh `indicators_daily` for the years the load changed (default true). */
  indicators?: boolean;
  /**
   * Once aborted, no new symbol is started and those in flight are left for the rerun; what was
   * staged is curated and the checkpoint stays (see ../interrupt.ts).
   */
  stop?: AbortSignal;
}

export interface IngestSummary {
  run_id: string;
  load_id: string;
  resumed: boolean;
  symbols_total: number;
  symbols_ok: number;
  symbols_skipped: number;
  symbols_failed: number;
  /** Symbols a stop left unfetched: the same command fetches them (0 unless `stop` aborted). */
  symbols_pending: number;
  /** Symbols fetched again from their first bar in the lake: a split or dividend since, or a gap (see `restateFrom`). */
  symbols_restated: number;
  bars_fetched: number;
  rows_rejected: number;
  rows_inserted: number;
  rows_updated: number;
  rows_unchanged: number;
  partitions_written: number;
  /** `indicators_daily` partitions recomputed after the curated bars changed. */
  indicator_partitions_written: number;
  /** Sessions still open when fetched, whose bars so far were left out: symbols per day. */
  open_sessions: Record<string, number>;
  failures: RunFailure[];
  rejections: Rejection[];
  elapsed_s: number;
}

/** A run's ids; its symbols and days are its parameters, which `openCheckpoint` records beside them. */
interface Checkpoint {
  run_id: string;
  load_id: string;
  started_at: string;
}

/** One provider's fetch, raw write and parse: every reply lands in raw, usable or not. */
async function fetchOnce(
  store: ObjectStore,
  source: DailyBarSource,
  symbol: string,
  range: DayRange,
  request: Record<string, unknown>,
) {
  const reply = await source.fetch(symbol, range);
  const rawKey = await writeRaw(store, reply, { dataset: source.dataset, name: symbol, request });
  return { ...source.parse(reply, symbol, range), rawKey, provider: source.provider, fetchedAt: reply.fetchedAt };
}

/** Fetch a symbol from the first provider that can serve it, under the configured policies. */
function loadSymbol(opts: IngestOptions, symbol: string, range: DayRange, request: Record<string, unknown>) {
  const sources = Array.isArray(opts.source) ? opts.source : [opts.source];
  if (!opts.net) return fetchOnce(opts.store, sources[0], symbol, range, request);
  const { router, clock, retry } = opts.net;
  const byName = new Map<string, DailyBarSource>(sources.map((s) => [s.provider, s]));
  return router.run("eod", async (provider) => {
    const source = byName.get(provider);
    if (!source) throw new Error(`${provider} has no daily-bar source configured`);
    return await withRetry(() => fetchOnce(opts.store, source, symbol, range, request), {
      clock,
      policy: retry,
      onRetry: (r) =>
        opts.log?.warn("ingest.retry", {
          symbol,
          provider,
          attempt: r.attempt,
          delay_ms: r.delayMs,
          reason: (r.error as Error).message,
        }),
    });
  }).then((r) => r.value);
}

/** What a load's symbols report beyond their bars. */
interface Found {
  rejections: Rejection[];
  /** Sessions still open when fetched, left out (see closed_sessions.ts): symbols per day. */
  openSessions: Map<number, number>;
}

/**
 * Fetch, store raw, parse, validate and stage one symbol; fetched again from its first bar in the
 * lake when the reply adjusts a day the lake holds on another basis (see ../stages/adjustment_basis.ts).
 * Says whether it was.
 */
async function stageSymbol(
  opts: IngestOptions,
  cp: Checkpoint,
  symbol: string,
  range: DayRange,
  found: Found,
  basis: LakeBasis | undefined,
): Promise<boolean> {
  const { store, engine } = opts;
  const request = {
    symbol,
    from: opts.from,
    to: opts.to,
    from_day: range.fromDay,
    to_day: range.toDay,
    load_id: cp.load_id,
  };
  let loaded = await loadSymbol(opts, symbol, range, request);
  const restate = restateFrom(basis, loaded.batch);
  if (restate) {
    const { from, reason } = restate;
    opts.log?.info("ingest.restate", { symbol, from: daysToIso(from), raw_ref: loaded.rawKey, reason });
    loaded = await loadSymbol(opts, symbol, { fromDay: from, toDay: range.toDay }, { ...request, from_day: from });
  }
  const { batch, warnings, rawKey, fetchedAt, openSessions = [] } = loaded;
  for (const w of warnings) opts.log?.warn("ingest.parse_warning", { symbol, warning: w, raw_ref: rawKey });
  for (const day of openSessions) found.openSessions.set(day, (found.openSessions.get(day) ?? 0) + 1);
  // Stamped with the reply's fetch time, as a rebuild from raw stamps it: see `MergeKey.fetched`.
  const { batch: staged, rejected } = stageBars(batch, fetchedAt.getTime(), rawKey);
  // A symbol a stop left behind keeps its raw reply but is not staged: the rerun fetches it.
  opts.stop?.throwIfAborted();
  found.rejections.push(...rejected);
  await store.put(layout.staging("daily_bars", cp.load_id, symbol), await engine.encode(staged, DAILY_BARS));
  return restate !== undefined;
}

/** Days after a load's first day in which its replies are compared with the lake's bars. */
const RESTATE_WINDOW_DAYS = 14;

/** Run (or resume) one ingest. Per-symbol failures are recorded; the run goes on. */
export async function ingestDaily(opts: IngestOptions): Promise<IngestSummary> {
  const { store, engine } = opts;
  const source = Array.isArray(opts.source) ? opts.source[0] : opts.source;
  const log = opts.log ?? silentLogger;
  const now = opts.now ?? (() => new Date());
  const started = performance.now();
  const symbols = canonicalSymbols(opts.symbols);
  if (symbols.length === 0) throw new RangeError("Cannot ingest: no symbols given");
  const concurrency = opts.concurrency ?? 4;
  // None at all would fetch nothing and call it done.
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
    throw new RangeError(`Cannot ingest with concurrency ${concurrency}: expected a whole number, 1 or more`);
  }
  const range = parseRange(opts.from, opts.to, now());

  const startedAt = now();
  // Held to the end: the same run started meanwhile is refused (RunUnderWayError).
  await using run = await openCheckpoint<Checkpoint>(
    store,
    "ingest_daily",
    { provider: source.provider, symbols: [...symbols].sort(), from: opts.from, to: opts.to },
    () => ({
      run_id: newRunId(startedAt),
      load_id: newRunId(startedAt),
      started_at: startedAt.toISOString(),
    }),
    startedAt,
  );
  const { key: cpKey, checkpoint: cp, resumed } = run;
  const stagedKeys = new Set((await store.list(layout.stagingLoadPrefix("daily_bars", cp.load_id))).map((o) => o.key));
  const pending = symbols.filter((s) => !stagedKeys.has(layout.staging("daily_bars", cp.load_id, s)));
  log.info("ingest.start", {
    run_id: cp.run_id,
    resumed,
    symbols: symbols.length,
    pending: pending.length,
    from: opts.from,
    to: opts.to,
    provider: source.provider,
    lake: store.url,
  });

  // The lake's bars where this load begins: a reply that adjusts them anew restates the symbol.
  const bases = await lakeBases(store, engine, new Set(pending), range.fromDay, range.fromDay + RESTATE_WINDOW_DAYS);
  const failures: RunFailure[] = [];
  const found: Found = { rejections: [], openSessions: new Map() };
  const { rejections } = found;
  let restated = 0;
  const progress = createProgress(log, "ingest.progress", pending.length);
  const queue = [...pending];
  const worker = async () => {
    while (queue.length && !opts.stop?.aborted) {
      const symbol = queue.shift()!;
      try {
        const outcome = await unlessStopped(
          stageSymbol(opts, cp, symbol, range, found, bases.get(symbol)),
          opts.stop,
        );
        if (outcome === STOPPED) return;
        if (outcome) restated++;
        progress.tick(1, { symbol });
      } catch (e) {
        rethrowLakeFailure(e);
        const err = e as Error;
        const reason = failureReason(e);
        failures.push({ symbol, provider: source.provider, reason, message: err.message });
        log.error("ingest.symbol_failed", { symbol, reason, message: err.message });
        progress.tick(1, { symbol, failed: true });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, pending.length) }, worker));

  // Every symbol of the load, staged now or by an earlier, interrupted attempt, is read back from staging.
  const loadKeys = (await store.list(layout.stagingLoadPrefix("daily_bars", cp.load_id))).map((o) => o.key);
  const unfetched = symbols.length - failures.length - loadKeys.length;
  const curated = await asTableWriter(
    { store, table: "daily_bars", job: "ingest_daily", log },
    () => curateStaged(store, engine, loadKeys),
  );
  // A resumed run may have curated before it was killed, so it refreshes even when nothing changes now.
  const refresh = opts.indicators !== false && curated.years.length > 0 &&
    (curated.inserted + curated.updated > 0 || resumed);
  const indicators = refresh
    ? await computeIndicatorTables({ store, engine, log, fromYear: curated.years[0] })
    : undefined;

  const summary: IngestSummary = {
    run_id: cp.run_id,
    load_id: cp.load_id,
    resumed,
    symbols_total: symbols.length,
    symbols_ok: loadKeys.length,
    symbols_skipped: symbols.length - pending.length,
    symbols_failed: failures.length,
    symbols_pending: unfetched,
    symbols_restated: restated,
    bars_fetched: curated.bars,
    rows_rejected: rejections.length,
    rows_inserted: curated.inserted,
    rows_updated: curated.updated,
    rows_unchanged: curated.unchanged,
    partitions_written: curated.partitions_written,
    indicator_partitions_written: indicators?.partitions ?? 0,
    open_sessions: Object.fromEntries([...found.openSessions].map(([day, n]) => [daysToIso(day), n])),
    failures,
    rejections: rejections.slice(0, 100),
    elapsed_s: Number(((performance.now() - started) / 1000).toFixed(3)),
  };
  await finishRun(store, "ingest_daily", { checkpointKey: cpKey, ...cp }, now(), summary, {
    load_id: cp.load_id,
    resumed: summary.resumed,
    from: opts.from,
    to: opts.to,
    rejected: rejections.length,
    restated,
  });
  for (const [day, symbols] of Object.entries(summary.open_sessions)) {
    // One line for the run, not one a symbol: every fetch during market hours meets it.
    log.info("ingest.open_session", {
      day,
      symbols,
      reason:
        "the session had not closed when fetched: its bars so far were left out; a fetch after the close brings them",
    });
  }
  log.info("ingest.done", { ...summary, failures: failures.length, rejections: rejections.length });
  return summary;
}
