/**
 * Every dataset's key in the lake, in one place. Layers: `raw/` (verbatim responses plus a
 * `.meta.json` sidecar), `staging/` (typed Parquet per fetch), `curated/` (de-duplicated,
 * partitioned Parquet), `reference/` (symbol master) and `state/` (run records, cursors, quotas).
 * @module
 */
import { assertKey } from "./store.ts";

/** Names of the curated tables, as exposed to SQL. */
export const CURATED_TABLES = [
  "daily_bars",
  "indicators_daily",
  "indicators_latest",
  "minute_bars",
  "fundamentals",
] as const;
export type CuratedTable = typeof CURATED_TABLES[number];

/** Checked key builder: every key the lake writes passes through here. */
function key(...parts: string[]): string {
  const k = parts.join("/");
  assertKey(k);
  return k;
}

/** Yahoo, Alpha Vantage, ... as a key segment. */
export type ProviderName = "yahoo" | "alphavantage" | "alpaca" | "sec" | "nasdaqtrader" | "simulated";

const RAW_META = ".meta.json";

export const layout = {
  /** A verbatim provider response. `name` is usually `<symbol>_<requestId>`. */
  raw: (provider: ProviderName, dataset: string, fetchDate: string, name: string, ext: string) =>
    key("raw", provider, dataset, `dt=${fetchDate}`, `${name}.${ext}`),
  /** Request metadata stored beside a raw response. */
  rawMeta: (rawKey: string) => key(`${rawKey}${RAW_META}`),
  /** How a metadata sidecar's key ends. */
  rawMetaSuffix: RAW_META,
  rawPrefix: (provider: ProviderName, dataset: string) => key("raw", provider, dataset) + "/",
  rawRoot: "raw/",

  /** Typed Parquet for one fetch within one load. */
  staging: (table: string, loadId: string, name: string) => key("staging", table, `load=${loadId}`, `${name}.parquet`),
  stagingLoadPrefix: (table: string, loadId: string) => key("staging", table, `load=${loadId}`) + "/",

  /** The curated daily bars of one calendar year: one object per partition. */
  dailyBarsPartition: (year: number) => key("curated", "daily_bars", `year=${year}`, "data.parquet"),
  dailyBarsPrefix: "curated/daily_bars/",
  /** Indicators per symbol and day, one object per year like the bars they come from. */
  indicatorsPartition: (year: number) => key("curated", "indicators_daily", `year=${year}`, "data.parquet"),
  /** Each symbol's newest `indicators_daily` row, in one small object: what a screen of the universe reads. */
  indicatorsLatest: key("curated", "indicators_latest", "data.parquet"),
  curatedPrefix: (table: CuratedTable) => key("curated", table) + "/",
  /** SEC company facts from the filings of one calendar year: one object per partition. */
  fundamentalsPartition: (filedYear: number) =>
    key("curated", "fundamentals", `filed_year=${filedYear}`, "data.parquet"),
  /** The curated minute bars of one calendar month (`YYYY-MM`, UTC): one object per partition. */
  minuteBarsPartition: (month: string) => {
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new RangeError(`Cannot name a minute partition '${month}'`);
    return key("curated", "minute_bars", `month=${month}`, "data.parquet");
  },

  /** The symbol master. */
  symbols: key("reference", "symbols", "data.parquet"),

  /** One record per pipeline run (summary, failures). */
  run: (runId: string) => key("state", "runs", `${runId}.json`),
  runsPrefix: "state/runs/",
  /** Checkpoint of an unfinished run, keyed by the fingerprint of its parameters. */
  checkpoint: (job: string, fingerprint: string) => key("state", "checkpoints", job, `${fingerprint}.json`),
  checkpointPrefix: (job: string) => key("state", "checkpoints", job) + "/",
  checkpointsRoot: "state/checkpoints/",
  /** A lock: a table's, held by the job changing it (one writer at a time), or a quota counter's. */
  lock: (name: string) => key("state", "locks", `${name}.lock`),
  locksRoot: "state/locks/",
  /** A process's presence among those calling one provider, which share its rate limit. */
  pacer: (provider: string, id: string) => key("state", "pacers", provider, `${id}.json`),
  pacersPrefix: (provider: string) => key("state", "pacers", provider) + "/",
  pacersRoot: "state/pacers/",
  /** A small persisted JSON state (quota counters, cursors). */
  state: (name: string) => key("state", `${name}.json`),
  /** The year a `year=YYYY` partition key names, or undefined for any other key. */
  partitionYear: (k: string): number | undefined => {
    const year = /year=(\d+)\//.exec(k)?.[1];
    return year === undefined ? undefined : Number(year);
  },
};
