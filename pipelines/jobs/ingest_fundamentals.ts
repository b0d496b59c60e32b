/**
 * SEC XBRL company facts into the `fundamentals` table. Each symbol's CIK comes from the symbol
 * master (`deno task symbols` adds SEC's CIKs); each company's facts are one reply, stored raw
 * first, then staged and merged into the partitions of the years its filings were filed. Symbols
 * go in slices, so memory holds one slice's facts, not the run's.
 * @module
 */
import { layout } from "../../lake/layout.ts";
import type { ParquetEngine } from "../../lake/parquet/engine.ts";
import { writeRaw } from "../../lake/raw.ts";
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
import type { RawResponse } from "../sources/http.ts";
import { parseCompanyFacts } from "../sources/sec/edgar.ts";
import { factsByFiledYear, mergeFactsStream, stageFacts } from "../stages/curate_fundamentals.ts";
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
    // Each symbol's facts by filing year, symbols ascending, for one streaming merge per year.
    const byYear = new Map<number, { symbol: string; batch: Batch }[]>();
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
          for (const [year, batch] of factsByFiledYear(staged)) {
            (byYear.get(year) ?? byYear.set(year, []).get(year)!).push({ symbol, batch });
          }
        } catch (e) {
          fail(symbol, failureReason(e), (e as Error).message);
        }
      }
      progress.tick(1, { symbol });
    }
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
      if (merged.written) totals.written.add(year);
    }
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
