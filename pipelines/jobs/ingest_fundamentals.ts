/**
 * SEC XBRL company facts into the `fundamentals` table. Each symbol's CIK comes from the symbol
 * master (`deno task symbols` adds SEC's CIKs); each company's facts are one reply, stored raw
 * first, then staged and handed, symbols in order, to one streaming merge per filing year. Memory
 * holds one company's facts and a piece of each open partition, and a run reads and writes each
 * partition once, however many companies it brings.
 *
 * A run is checkpointed by its symbols, and each reply's metadata names the run. Rerun after a
 * kill, it parses again the replies the killed run stored and fetches only the other companies.
 * @module
 */
import { layout } from "../../lake/layout.ts";
import type { ParquetEngine } from "../../lake/parquet/engine.ts";
import { type RawMeta, readRawMetas, repliesUnder, storedReplies, writeRaw } from "../../lake/raw.ts";
import { finishRun, newRunId, openCheckpoint, type RunFailure, type RunSummary } from "../../lake/runs.ts";
import type { Batch } from "../../lake/schemas/columns.ts";
import { FUNDAMENTALS } from "../../lake/schemas/fundamentals.ts";
import type { ObjectStore } from "../../lake/store.ts";
import { canonicalSymbol, canonicalSymbols } from "../../lake/symbol.ts";
import { readSymbolMaster } from "../../lake/symbols_table.ts";
import { createProgress, type Logger, silentLogger } from "../log.ts";
import type { Clock } from "../net/clock.ts";
import { type RetryPolicy, withRetry } from "../net/retry.ts";
import type { Router } from "../net/router.ts";
import { type RawResponse, storedResponse } from "../sources/http.ts";
import { parseCompanyFacts } from "../sources/sec/edgar.ts";
import { splitByYear } from "../stages/curate_daily_bars.ts";
import { mergeFacts, mergeFactsStream, stageFacts } from "../stages/curate_fundamentals.ts";
import { failureReason, rethrowLakeFailure } from "./failures.ts";
import { yearMerges, type YearTable } from "./merge_partition.ts";
import { lockTable } from "./lake_writer.ts";
import { STOPPED, unlessStopped } from "../interrupt.ts";

export interface FundamentalsOptions {
  store: ObjectStore;
  engine: ParquetEngine;
  /** SEC's companyfacts endpoint (`createEdgarClient(...).companyFacts`). */
  companyFacts: (cik: string) => Promise<RawResponse>;
  symbols: string[];
  /** Rate limit, breaker and retries for `sec`; without it each company gets one attempt. */
  net?: { router: Router; clock: Clock; retry?: RetryPolicy };
  now?: () => Date;
  log?: Logger;
  /**
   * Once aborted, no new company is started and the one in flight is left for the rerun, which
   * parses its reply if it was stored; the table takes what was fetched (see ../interrupt.ts).
   */
  stop?: AbortSignal;
}

export interface FundamentalsSummary extends RunSummary {
  run_id: string;
  /** Whether this run finished a killed one. */
  resumed: boolean;
  /** Companies parsed again from the replies a killed run stored, not fetched. */
  symbols_reparsed: number;
  facts_fetched: number;
  rows_unchanged: number;
  partitions_written: number;
  elapsed_s: number;
}

const FACT_YEARS: YearTable = {
  partition: layout.fundamentalsPartition,
  spec: FUNDAMENTALS,
  merge: mergeFactsStream,
};

/**
 * The replies a run stored, by symbol, found by the run id in their metadata. A symbol that
 * another run fetched again since is left out: its newer reply is the one the table holds, and
 * merging the older one again would undo it.
 */
async function repliesOfRun(store: ObjectStore, runId: string, startedAt: string, now: Date) {
  const prefix = layout.rawPrefix("sec", "companyfacts");
  const keys: string[] = [];
  // Raw replies sit under their fetch day: only the days since the run started are read.
  for (let day = Date.parse(startedAt.slice(0, 10)); day <= now.getTime(); day += 86_400_000) {
    keys.push(...await repliesUnder(store, `${prefix}dt=${new Date(day).toISOString().slice(0, 10)}/`));
  }
  const metas = await readRawMetas(store, keys);
  const out = new Map<string, { key: string; meta: RawMeta }>();
  keys.forEach((key, i) => {
    const meta = metas[i];
    if (!meta?.request?.symbol) return;
    const symbol = String(meta.request.symbol);
    const held = out.get(symbol);
    if (!held || held.meta.fetched_at <= meta.fetched_at) out.set(symbol, { key, meta });
  });
  for (const [symbol, { meta }] of out) if (meta.request?.load_id !== runId) out.delete(symbol);
  return out;
}

/** Hand one company's facts to the merges of their filing years. */
async function pushFacts(merges: ReturnType<typeof yearMerges>, symbol: string, facts: Batch) {
  for (const [year, batch] of splitByYear(facts, "filed")) await merges.push(year, { symbol, batch });
}

/** Fetch and curate the company facts of `symbols`. Hostile symbols fail before any request. */
export async function ingestFundamentals(opts: FundamentalsOptions): Promise<FundamentalsSummary> {
  const { store, engine, log = silentLogger, now = () => new Date() } = opts;
  const started = performance.now();
  const startedAt = now();
  const symbols = canonicalSymbols(opts.symbols).sort();
  if (symbols.length === 0) throw new RangeError("Cannot ingest fundamentals: no symbols given");
  const ciks = new Map((await readSymbolMaster(store, engine)).flatMap((r) => r.cik ? [[r.symbol, r.cik]] : []));
  // Held to the end: the same run started meanwhile is refused (RunUnderWayError).
  await using run = await openCheckpoint(
    store,
    "ingest_fundamentals",
    { symbols },
    () => ({ run_id: newRunId(startedAt), started_at: startedAt.toISOString() }),
    startedAt,
  );
  const { key: cpKey, checkpoint: cp, resumed } = run;
  const runId = cp.run_id;
  const stored = resumed ? await repliesOfRun(store, runId, cp.started_at, startedAt) : new Map();
  log.info("fundamentals.start", {
    run_id: runId,
    symbols: symbols.length,
    resumed,
    stored: stored.size,
    lake: store.url,
  });

  const failures: RunFailure[] = [];
  let factsFetched = 0, reparsed = 0;
  const progress = createProgress(log, "fundamentals.progress", symbols.length);
  const fail = (symbol: string, reason: string, message: string) => {
    failures.push({ symbol, provider: "sec", reason, message });
    log.error("fundamentals.symbol_failed", { symbol, reason, message });
  };

  /** One company's reply, stored raw whatever it says, then parsed; a killed run's reply is parsed again. */
  const fetchFacts = async (symbol: string, cik: string) => {
    const earlier = stored.get(symbol);
    const body = earlier && await store.get(earlier.key);
    if (earlier && body) {
      try {
        const facts = parseCompanyFacts(storedResponse(earlier.meta, body));
        reparsed++;
        return { facts, rawKey: earlier.key, fetchedAt: Date.parse(earlier.meta.fetched_at) };
      } catch { /* an error reply: fetch again */ }
    }
    const once = async () => {
      const reply = await opts.companyFacts(cik);
      const request = { symbol, cik, load_id: runId };
      const rawKey = await writeRaw(store, reply, { dataset: "companyfacts", name: symbol, request });
      return { facts: parseCompanyFacts(reply), rawKey, fetchedAt: reply.fetchedAt.getTime() };
    };
    if (!opts.net) return await once();
    const { router, clock, retry } = opts.net;
    return (await router.run("fundamentals", () => withRetry(once, { clock, policy: retry }), ["sec"])).value;
  };

  await using _ = await lockTable({ store, table: "fundamentals", job: "ingest_fundamentals", log });
  const merges = yearMerges(store, engine, FACT_YEARS);
  let tried = 0;
  try {
    for (const symbol of symbols) {
      if (opts.stop?.aborted) break;
      const cik = ciks.get(symbol);
      if (!cik) {
        fail(symbol, "no_cik", `no CIK for '${symbol}' in the symbol master: run \`deno task symbols\` first`);
      } else {
        let staged: Batch | undefined;
        try {
          const fetched = await unlessStopped(fetchFacts(symbol, cik), opts.stop);
          if (fetched === STOPPED) break;
          const { facts, rawKey, fetchedAt } = fetched;
          staged = stageFacts(facts.rows, {
            symbol,
            ingestedAt: fetchedAt,
            rawRef: rawKey,
            source: facts.simulated ? "simulated" : "sec",
          });
        } catch (e) {
          rethrowLakeFailure(e);
          fail(symbol, failureReason(e), (e as Error).message);
        }
        // Outside the try: a failed merge (a full disk) ends the run, it is no company's failure.
        if (staged) {
          factsFetched += staged.length;
          await pushFacts(merges, symbol, staged);
        }
      }
      progress.tick(1, { symbol });
      tried++;
    }
  } catch (e) {
    await merges.fail(e);
    throw e;
  }
  const merged = await merges.close();

  const failed = new Set(failures.map((f) => f.symbol)).size;
  const pending = symbols.length - tried;
  const summary: FundamentalsSummary = {
    run_id: runId,
    resumed,
    symbols_reparsed: reparsed,
    symbols_total: symbols.length,
    symbols_ok: tried - failed,
    symbols_failed: failed,
    symbols_pending: pending,
    facts_fetched: factsFetched,
    rows_inserted: merged.inserted,
    rows_updated: merged.updated,
    rows_unchanged: merged.unchanged,
    partitions_written: merged.partitions_written,
    failures,
    elapsed_s: Number(((performance.now() - started) / 1000).toFixed(3)),
  };
  await finishRun(store, "ingest_fundamentals", cp, now(), summary, { facts: factsFetched });
  // Only a killed or stopped run is resumed: one that ended, failures and all, is run afresh next time.
  if (!pending) await store.delete(cpKey);
  log.info("fundamentals.done", { ...summary, failures: failures.length });
  return summary;
}

export interface FundamentalsRebuildSummary {
  replies: number;
  symbols: number;
  failed: { raw_ref: string; message: string }[];
  inserted: number;
  updated: number;
  unchanged: number;
  partitions_written: number;
}

/**
 * The `fundamentals` table again from the stored `companyfacts` replies alone (after a parser fix,
 * or to check lineage): each symbol's snapshots folded in fetch order, as the ingests that fetched
 * them merged them, then merged into the partitions. Error replies are listed, not parsed.
 */
export async function rebuildFundamentals(
  { store, engine, symbols, log = silentLogger }: {
    store: ObjectStore;
    engine: ParquetEngine;
    /** Only these symbols' replies (default: all). */
    symbols?: string[];
    log?: Logger;
  },
): Promise<FundamentalsRebuildSummary> {
  const only = symbols && new Set(symbols.map((s) => canonicalSymbol(s)));
  const keys = await storedReplies(store, "sec", "companyfacts");
  const bySymbol = new Map<string, { key: string; meta: RawMeta }[]>();
  const metas = await readRawMetas(store, keys);
  for (const [i, key] of keys.entries()) {
    const meta = metas[i];
    const symbol = String(meta?.request?.symbol ?? "");
    if (meta && (!only || only.has(symbol))) {
      (bySymbol.get(symbol) ?? bySymbol.set(symbol, []).get(symbol)!).push({ key, meta });
    }
  }
  const order = (a: { key: string; meta: RawMeta }, b: { key: string; meta: RawMeta }) =>
    a.meta.fetched_at.localeCompare(b.meta.fetched_at) || a.key.localeCompare(b.key);
  let replies = 0;
  const failed: FundamentalsRebuildSummary["failed"] = [];
  const progress = createProgress(log, "fundamentals_rebuild.progress", bySymbol.size);
  await using _ = await lockTable({ store, table: "fundamentals", job: "rebuild_fundamentals", log });
  const merges = yearMerges(store, engine, FACT_YEARS);
  try {
    for (const symbol of [...bySymbol.keys()].sort()) {
      let folded: Batch | undefined;
      for (const { key, meta } of bySymbol.get(symbol)!.sort(order)) {
        replies++;
        try {
          const body = await store.get(key);
          if (!body) throw new Error("raw reply is missing");
          const facts = parseCompanyFacts(storedResponse(meta, body));
          const staged = stageFacts(facts.rows, {
            symbol,
            ingestedAt: Date.parse(meta.fetched_at),
            rawRef: key,
            source: facts.simulated ? "simulated" : "sec",
          });
          folded = folded ? mergeFacts(folded, staged).batch : staged;
        } catch (e) {
          rethrowLakeFailure(e);
          failed.push({ raw_ref: key, message: (e as Error).message });
        }
      }
      if (folded) await pushFacts(merges, symbol, folded);
      progress.tick(1, { symbol });
    }
  } catch (e) {
    await merges.fail(e);
    throw e;
  }
  const { inserted, updated, unchanged, partitions_written } = await merges.close();
  const summary = { replies, symbols: bySymbol.size, failed, inserted, updated, unchanged, partitions_written };
  log.info("fundamentals_rebuild.done", { ...summary, failed: failed.length });
  return summary;
}
