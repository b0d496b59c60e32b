/**
 * `deno task reconcile`: the curated daily bars checked against a second provider. Each symbol's
 * bars are fetched again (the reply is kept in raw, the evidence of any difference), parsed as an
 * ingest would parse them, and compared day by day with the lake's, which are not written to.
 * @module
 */
import { tradingDays } from "../../lake/calendar.ts";
import type { BarRow } from "../../lake/daily_reader.ts";
import { writeRaw } from "../../lake/raw.ts";
import { daysToIso, isoToDays, num } from "../../lake/schemas/columns.ts";
import type { ObjectStore } from "../../lake/store.ts";
import { canonicalSymbols } from "../../lake/symbol.ts";
import { createProgress, type Logger, silentLogger } from "../log.ts";
import type { Clock } from "../net/clock.ts";
import { type RetryPolicy, withRetry } from "../net/retry.ts";
import type { Router } from "../net/router.ts";
import { parseRange } from "./dates.ts";
import { tally } from "./tally.ts";
import { failureReason, rethrowLakeFailure } from "./failures.ts";
import type { DailyBarSource } from "./ingest_daily.ts";

/** The kinds of difference, in report order. */
export const DIFFERENCES = [
  "missing_in_lake",
  "missing_in_source",
  "price",
  "adj_close",
  "volume",
  "dividend",
  "split",
] as const;
export type Difference = (typeof DIFFERENCES)[number];

export interface Discrepancy {
  difference: Difference;
  symbol: string;
  date: string;
  detail: string;
}

export interface ReconcileReport {
  provider: string;
  symbols_total: number;
  symbols_checked: number;
  failures: { symbol: string; reason: string; message: string }[];
  /** Days both the lake and the source have a bar for. */
  days_compared: number;
  /** Differences per kind (every kind listed, 0 when none). */
  counts: Record<Difference, number>;
  /** Up to `examples` differences per kind, by symbol and date. */
  discrepancies: Discrepancy[];
  /** The source's replies, kept in raw. */
  raw_refs: string[];
}

export interface ReconcileOptions {
  store: ObjectStore;
  /**
   * The lake's bars of a symbol in `start..end` (ISO dates), in date order: the query API's
   * `getDailyBars` in the CLI, `readSymbolBars` where DuckDB cannot load (Deno Deploy).
   */
  lakeBars: (symbol: string, start: string, end: string) => Promise<BarRow[]>;
  source: DailyBarSource;
  symbols: string[];
  from: string;
  to: string;
  /** Rate limit, quota, breaker and retries for the source's provider; without it, one attempt each. */
  net?: { router: Router; clock: Clock; retry?: RetryPolicy };
  /** Relative difference above which two prices differ (default 0.0005: 5 basis points). */
  priceTolerance?: number;
  /** Relative difference above which two volumes differ (default 0.01: providers count trades differently). */
  volumeTolerance?: number;
  examples?: number;
  log?: Logger;
  now?: () => Date;
}

class NoBarsError extends Error {}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-12);

/** Check `symbols`' curated bars in `from..to` against `source`. Hostile symbols fail before any request. */
export async function reconcileDailyBars(opts: ReconcileOptions): Promise<ReconcileReport> {
  const { store, lakeBars, source, log = silentLogger, examples = 20, now = () => new Date() } = opts;
  const priceTolerance = opts.priceTolerance ?? 0.0005, volumeTolerance = opts.volumeTolerance ?? 0.01;
  // A tolerance that is not a number would compare false everywhere and find nothing, silently.
  for (
    const [what, v] of [["tolerance", priceTolerance], ["volume tolerance", volumeTolerance], ["examples", examples]]
  ) {
    if (!(Number.isFinite(v) && (v as number) >= 0)) {
      throw new RangeError(`Cannot reconcile with ${what} '${v}': expected a number, 0 or more`);
    }
  }
  const { fromDay, toDay } = parseRange(opts.from, opts.to, now(), "reconcile");
  const symbols = canonicalSymbols(opts.symbols).sort();
  if (symbols.length === 0) throw new RangeError("Cannot reconcile: no symbols given");
  const sessions = new Set(tradingDays(fromDay, toDay));

  const all: Discrepancy[] = [];
  const failures: ReconcileReport["failures"] = [], rawRefs: string[] = [];
  let checked = 0, compared = 0;
  const progress = createProgress(log, "reconcile.progress", symbols.length);
  const fetchBars = async (symbol: string) => {
    const once = async () => {
      const reply = await source.fetch(symbol, { fromDay, toDay });
      const rawKey = await writeRaw(store, reply, {
        dataset: source.dataset,
        name: symbol,
        request: { symbol, from_day: fromDay, to_day: toDay, purpose: "reconcile" },
      });
      return { ...source.parse(reply, symbol, { fromDay, toDay }), rawKey };
    };
    if (!opts.net) return await once();
    const { router, clock, retry } = opts.net;
    return (await router.run("eod", () => withRetry(once, { clock, policy: retry }), [source.provider])).value;
  };

  for (const symbol of symbols) {
    try {
      const ours = await lakeBars(symbol, daysToIso(fromDay), daysToIso(toDay));
      // Nothing to compare: no request spent (Alpha Vantage allows 25 a day).
      if (!ours.length) throw new NoBarsError(`the lake has no bars for '${symbol}' in ${opts.from}..${opts.to}`);
      const { batch, rawKey } = await fetchBars(symbol);
      rawRefs.push(rawKey);
      const theirs = new Map<number, number>();
      num(batch, "date").forEach((d, i) => theirs.set(d, i));
      const differ = (difference: Difference, day: number, detail: string) =>
        all.push({ difference, symbol, date: daysToIso(day), detail });
      const col = (name: string, i: number) => num(batch, name)[i];
      const seen = new Set<number>();
      for (const bar of ours) {
        const day = isoToDays(bar.date);
        seen.add(day);
        const i = theirs.get(day);
        if (i === undefined) {
          differ("missing_in_source", day, `the lake has a bar (close ${bar.close}) that ${source.provider} does not`);
          continue;
        }
        compared++;
        const prices = (["open", "high", "low", "close"] as const)
          .map((k) => ({ k, lake: bar[k], source: col(k, i) }))
          .filter((p) => relative(p.lake, p.source) > priceTolerance);
        if (prices.length) differ("price", day, prices.map((p) => `${p.k} ${p.lake} vs ${p.source}`).join(", "));
        if (relative(bar.adj_close, col("adj_close", i)) > priceTolerance) {
          differ("adj_close", day, `${bar.adj_close} vs ${col("adj_close", i)}`);
        }
        if (relative(bar.volume, col("volume", i)) > volumeTolerance) {
          differ("volume", day, `${bar.volume} vs ${col("volume", i)}`);
        }
        if (Math.abs(bar.dividend - col("dividend", i)) > 1e-6) {
          differ("dividend", day, `${bar.dividend} vs ${col("dividend", i)}`);
        }
        if (Math.abs(bar.split_ratio - col("split_ratio", i)) > 1e-9) {
          differ("split", day, `${bar.split_ratio} vs ${col("split_ratio", i)}`);
        }
      }
      // A source bar on a session the lake lacks, within the span the lake holds for the symbol.
      const [first, last] = [isoToDays(ours[0].date), isoToDays(ours[ours.length - 1].date)];
      for (const [day, i] of theirs) {
        if (!seen.has(day) && sessions.has(day) && day >= first && day <= last) {
          differ("missing_in_lake", day, `${source.provider} has a bar (close ${col("close", i)}) the lake does not`);
        }
      }
      checked++;
    } catch (e) {
      rethrowLakeFailure(e);
      const reason = e instanceof NoBarsError ? "no_bars" : failureReason(e);
      const failure = { symbol, reason, message: (e as Error).message };
      failures.push(failure);
      log.error("reconcile.symbol_failed", failure);
    }
    progress.tick(1, { symbol });
  }
  const { counts, examples: discrepancies } = tally(DIFFERENCES, all, (d) => d.difference, examples);
  const report: ReconcileReport = {
    provider: source.provider,
    symbols_total: symbols.length,
    symbols_checked: checked,
    failures,
    days_compared: compared,
    counts,
    discrepancies,
    raw_refs: rawRefs,
  };
  log.info("reconcile.done", { ...report, discrepancies: all.length, raw_refs: rawRefs.length });
  return report;
}
