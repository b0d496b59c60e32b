/**
 * What every command of the CLI shares: the command shape, flag parsing helpers, the lake and
 * symbol options, and the daily sources the configuration names.
 * @module
 */
import { type Config, ConfigError, loadConfig, yahooConnection } from "../../config.ts";
import { type Lake, openLake } from "../../lake/query.ts";
import { openStore } from "../../lake/open_store.ts";
import type { ObjectStore } from "../../lake/store.ts";
import { readSymbolMaster } from "../../lake/symbols_table.ts";
import { createWasmEngine } from "../../lake/parquet/wasm_engine.ts";
import { SymbolError } from "../../lake/symbol.ts";
import { resolveUniverse } from "../jobs/universe.ts";
import { yahooDailySource } from "../jobs/daily_sources.ts";
import { alphaVantageDailySource, createAlphaVantageClient } from "../sources/alphavantage/client.ts";

export type Flags = Record<string, string | boolean | undefined>;

/** A numeric flag, `undefined` when it is not given, or a clear error for anything but a number of 0 or more. */
export function numberFlag(flags: Flags, name: string, { integer = false, min = 0 } = {}): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  const n = String(raw).trim() === "" ? NaN : Number(raw);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new RangeError(
      `Cannot use --${name} '${raw}': expected ${integer ? "a whole number" : "a number"}, ${min} or more`,
    );
  }
  return n;
}

/** A subcommand: its help, its flags, and what it does; `run` returns the exit code. */
export interface Command {
  summary: string;
  usage: string;
  options: Record<string, { type: "string" | "boolean"; help: string }>;
  run(flags: Flags, config: Config): Promise<number>;
}

export const lakeOption = {
  type: "string",
  help: "lake location: a directory or s3://bucket/prefix (default $TICKLAKE_LAKE or ./data)",
} as const;

/** The options of every command that writes to the lake: where it is, and how long to wait for a busy table. */
export const lakeWriterOptions = {
  lake: lakeOption,
  "lock-wait": {
    type: "string",
    help:
      "seconds to wait for a table another job is writing, then fail (0: fail at once; default $TICKLAKE_LOCK_WAIT_S, else no limit)",
  },
} as const;

/** The configuration with `--lake` and `--lock-wait` applied, each as its environment variable would be. */
export function withLake(config: Config, flags: Flags): Config {
  if (flags.lake === undefined && flags["lock-wait"] === undefined) return config;
  const env = Deno.env.toObject();
  if (flags.lake !== undefined) env.TICKLAKE_LAKE = String(flags.lake);
  if (flags["lock-wait"] !== undefined) {
    env.TICKLAKE_LOCK_WAIT_S = String(numberFlag(flags, "lock-wait"));
  }
  return loadConfig(env);
}

export const today = () => new Date().toISOString().slice(0, 10);

/** Open the configured lake for querying, hand it to `use`, and close it whatever happens. */
export async function withOpenLake<T>(config: Config, use: (lake: Lake, store: ObjectStore) => Promise<T>): Promise<T> {
  const store = openStore(config.lake);
  const lake = await openLake({ store, cacheDir: config.cacheDir });
  try {
    return await use(lake, store);
  } finally {
    lake.close();
  }
}

/** A named universe; `listed` ones read the lake's symbol master. */
export function universe(name: string, config: Config): Promise<string[]> {
  return resolveUniverse(name, { master: () => readSymbolMaster(openStore(config.lake), createWasmEngine()) });
}

/** The symbols `--symbols` or `--universe` names, or a clear error for neither (or an empty list). */
export async function chosenSymbols(flags: Flags, config: Config, what: string): Promise<string[]> {
  const symbols = flags.symbols
    ? String(flags.symbols).split(",").filter((s) => s.trim() !== "")
    : flags.universe
    ? await universe(String(flags.universe), config)
    : [];
  if (flags.symbols !== undefined && symbols.length === 0) throw new SymbolError(`Cannot ${what}: --symbols is empty`);
  if (symbols.length === 0) throw new RangeError(`Cannot ${what}: give --symbols or --universe`);
  return symbols;
}

/** Daily-bar sources in failover order: Yahoo, then Alpha Vantage when a key is configured. */
export function dailySources(config: Config) {
  const yahoo = yahooDailySource(yahooConnection(config.providers));
  return config.keys.alphavantage ? [yahoo, alphaVantageSource(config)] : [yahoo];
}

/** Alpha Vantage's daily bars, or a clear error without a key. */
export function alphaVantageSource(config: Config) {
  const apiKey = config.keys.alphavantage;
  if (!apiKey) throw new ConfigError("Cannot use Alpha Vantage: set ALPHAVANTAGE_API_KEY");
  return alphaVantageDailySource(createAlphaVantageClient({ baseUrl: config.providers.alphavantage, apiKey }));
}
