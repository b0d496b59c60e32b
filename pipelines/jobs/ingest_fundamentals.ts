/**
 * SEC XBRL company facts into the `fundamentals` table. Each symbol's CIK comes from the symbol
 * master (`deno task symbols` adds SEC's CIKs); each company's facts are one reply, stored raw
 * first, then staged and merged into the partitions of the years its filings were filed. Symbols
 * go in slices, so memory holds one slice's facts, not the run's.
 * @module
 */
import { layout } from "../../lake/layout.ts";
import type { ParquetEngine } from "../../lake/parquet/engine.ts";
import { type RawMeta, readRawMetas, storedReplies, writeRaw } from "../../lake/raw.ts";
import { finishRun, newRunId, type RunFailure, type RunSummary } from "../../lake/runs.ts";
import type { Batch } from "../../lake/schemas/columns.ts";
import { FUNDAMENTALS } from "../../lake/schemas/fundamentals.ts";
import type { ObjectStore } from "../../lake/store.ts";
import { canonicalSymbol } from "../../lake/symbol.ts";
import { readSymbolMaster } from "../../lake/symbols_table.ts";
import { createProgress, type Logger, silentLogger } from "../log.ts";
import type { Clock } from "../net/clock.ts";
import { type RetryPolicy, withRetry } from "../net/retry.ts";
import type { Router } from "../net/router.ts";
import { type RawResponse, storedResponse } from "../sources/http.ts";
import { parseCompanyFacts } from "../sources/sec/edgar.ts";
import { splitByYear } from "../stages/curate_daily_bars.ts";
import { mergeFacts, mergeFactsStream, stageFacts } from "../stages/curate_fundamentals.ts";
import { failureReason } from "./failures.ts";
import { mergeIntoPartition } from "./merge_partition.ts";

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
   * Companies fetched before their facts are merged (a real filer has 20 to 30 thousand facts):
   * memory holds one slice, and each year partition a slice touches is rewritten once.
   */
  sliceSize?: number;
}

export interface FundamentalsSummary extends RunSummary {
  run_id: string;
  facts_fetched: number;
  rows_unchanged: number;
  partitions_written: number;
  elapsed_s: number;
}

/** Each symbol's facts by filing year, symbols ascending, for one streaming merge per year. */
type FactsByYear = Map<number, { symbol: string; batch: Batch }[]>;

function addByYear(byYear: FactsByYear, symbol: string, staged: Batch) {
  for (const [year, batch] of splitByYear(staged, "filed")) {
    (byYear.get(year) ?? byYear.set(year, []).get(year)!).push({ symbol, batch });
  }
}

/** Merge some symbols' facts into the partitions of their filing years, one streaming merge each. */
async function curateFacts(store: ObjectStore, engine: ParquetEngine, byYear: FactsByYear) {
  const totals = { inserted: 0, updated: 0, unchanged: 0, written: [] as number[] };
  for (const [year, incoming] of [...byYear].sort((x, y) => x[0] - y[0])) {
    const merged = await mergeIntoPartition(
      { store, engine },
      layout.fundamentalsPartition(year),
      FUNDAMENTALS,
      mergeFactsStream,
      (async function* () {
        yield* incoming;
      })(),
    );
    totals.inserted += merged.inserted;
    totals.updated += merged.updated;
    totals.unchanged += merged.unchanged;
    if (merged.written) totals.written.push(year);
  }
  return totals;
}

/** Fetch and curate the company facts of `symbols`. Hostile symbols fail before any request. */
export async function ingestFundamentals(opts: FundamentalsOptions): Promise<FundamentalsSummary> {
  const { store, engine, log = silentLogger, now = () => new Date(), sliceSize = 20 } = opts;
  const started = performance.now();
  const startedAt = now();
  const symbols = [...new Set(opts.symbols.map((s) => canonicalSymbol(s)))].sort();
  if (symbols.length === 0) throw new RangeError("Cannot ingest fundamentals: no symbols given");
  const ciks = new Map((await readSymbolMaster(store, engine)).flatMap((r) => r.cik ? [[r.symbol, r.cik]] : []));
  const runId = newRunId(startedAt);
  log.info("fundamentals.start", { run_id: runId, symbols: symbols.length, lake: store.url });

  const failures: RunFailure[] = [];
  const totals = { facts: 0, inserted: 0, updated: 0, unchanged: 0, written: new Set<number>() };
  const progress = createProgress(log, "fundamentals.progress", symbols.length);
  const fail = (symbol: string, reason: string, message: string) => {
    failures.push({ symbol, provider: "sec", reason, message });
    log.error("fundamentals.symbol_failed", { symbol, reason, message });
  };

  /** One company's reply, stored raw whatever it says, then parsed. */
  const fetchFacts = async (symbol: string, cik: string) => {
    const once = async () => {
      const reply = await opts.companyFacts(cik);
      const rawKey = await writeRaw(store, reply, { dataset: "companyfacts", name: symbol, request: { symbol, cik } });
      return { facts: parseCompanyFacts(reply), rawKey };
    };
    if (!opts.net) return await once();
    const { router, clock, retry } = opts.net;
    return (await router.run("fundamentals", () => withRetry(once, { clock, policy: retry }), ["sec"])).value;
  };

  for (let at = 0; at < symbols.length; at += sliceSize) {
    const byYear: FactsByYear = new Map();
    for (const symbol of symbols.slice(at, at + sliceSize)) {
      const cik = ciks.get(symbol);
      if (!cik) {
        fail(symbol, "no_cik", `no CIK for '${symbol}' in the symbol master: run \`deno task symbols\` first`);
      } else {
        try {
          const { facts, rawKey } = await fetchFacts(symbol, cik);
          const staged = stageFacts(facts.rows, {
            symbol,
            ingestedAt: now().getTime(),
            rawRef: rawKey,
            source: facts.simulated ? "simulated" : "sec",
          });
          totals.facts += staged.length;
          addByYear(byYear, symbol, staged);
        } catch (e) {
          fail(symbol, failureReason(e), (e as Error).message);
        }
      }
      progress.tick(1, { symbol });
    }
    const merged = await curateFacts(store, engine, byYear);
    totals.inserted += merged.inserted;
    totals.updated += merged.updated;
    totals.unchanged += merged.unchanged;
    for (const year of merged.written) totals.written.add(year);
  }

  const failed = new Set(failures.map((f) => f.symbol)).size;
  const summary: FundamentalsSummary = {
    run_id: runId,
    symbols_total: symbols.length,
    symbols_ok: symbols.length - failed,
    symbols_failed: failed,
    facts_fetched: totals.facts,
    rows_inserted: totals.inserted,
    rows_updated: totals.updated,
    rows_unchanged: totals.unchanged,
    partitions_written: totals.written.size,
    failures,
    elapsed_s: Number(((performance.now() - started) / 1000).toFixed(3)),
  };
  await finishRun(
    store,
    "ingest_fundamentals",
    { run_id: runId, started_at: startedAt.toISOString() },
    now(),
    summary,
    {
      facts: totals.facts,
    },
  );
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
  { store, engine, symbols, log = silentLogger, sliceSize = 20 }: {
    store: ObjectStore;
    engine: ParquetEngine;
    /** Only these symbols' replies (default: all). */
    symbols?: string[];
    log?: Logger;
    sliceSize?: number;
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
  const summary = {
    replies: 0,
    symbols: bySymbol.size,
    failed: [] as FundamentalsRebuildSummary["failed"],
    inserted: 0,
    updated: 0,
    unchanged: 0,
  };
  const written = new Set<number>();
  const progress = createProgress(log, "fundamentals_rebuild.progress", bySymbol.size);
  const sorted = [...bySymbol.keys()].sort();
  for (let at = 0; at < sorted.length; at += sliceSize) {
    const byYear: FactsByYear = new Map();
    for (const symbol of sorted.slice(at, at + sliceSize)) {
      let folded: Batch | undefined;
      for (const { key, meta } of bySymbol.get(symbol)!.sort(order)) {
        summary.replies++;
        try {
          const body = await store.get(key);
          if (!body) throw new Error("raw reply is missing");
          const facts = parseCompanyFacts(storedResponse(meta, body));
          const source = facts.simulated ? "simulated" : "sec";
          const staged = stageFacts(facts.rows, {
            symbol,
            ingestedAt: Date.parse(meta.fetched_at),
            rawRef: key,
            source,
          });
          folded = folded ? mergeFacts(folded, staged).batch : staged;
        } catch (e) {
          summary.failed.push({ raw_ref: key, message: (e as Error).message });
        }
      }
      if (folded) addByYear(byYear, symbol, folded);
      progress.tick(1, { symbol });
    }
    const merged = await curateFacts(store, engine, byYear);
    summary.inserted += merged.inserted;
    summary.updated += merged.updated;
    summary.unchanged += merged.unchanged;
    for (const year of merged.written) written.add(year);
  }
  log.info("fundamentals_rebuild.done", {
    ...summary,
    failed: summary.failed.length,
    partitions_written: written.size,
  });
  return { ...summary, partitions_written: written.size };
}
