/**
 * Refresh the symbol master from the Nasdaq Trader directory and SEC company_tickers.json.
 * Every reply goes to raw first. If either listing fails, the last good master stays untouched:
 * a partial master would mark half the market delisted.
 * @module
 */
import type { Config } from "../../config.ts";
import { openStore } from "../../lake/open_store.ts";
import { createWasmEngine } from "../../lake/parquet/wasm_engine.ts";
import type { ParquetEngine } from "../../lake/parquet/engine.ts";
import { writeRaw } from "../../lake/raw.ts";
import { type SymbolRow, SymbolRowSchema } from "../../lake/schemas/symbols.ts";
import { readSymbolMaster, writeSymbolMaster } from "../../lake/symbols_table.ts";
import type { ObjectStore } from "../../lake/store.ts";
import { type Logger, silentLogger } from "../log.ts";
import { type Fetch, statusError } from "../sources/http.ts";
import {
  createNasdaqTraderClient,
  type ListingFile,
  type ListingRow,
  parseListing,
} from "../sources/nasdaqtrader/listing.ts";
import { fetchCompanyTickers, parseCompanyTickers } from "../sources/sec/company_tickers.ts";
import { secStatusError } from "../sources/sec/edgar.ts";
import { latestListings, mergeSymbolMaster } from "../stages/symbol_master.ts";
import { createAlphaVantageClient, parseListingStatus } from "../sources/alphavantage/client.ts";
import { lockTable } from "./lake_writer.ts";
import { rethrowLakeFailure } from "./failures.ts";
import type { Capability, Router } from "../net/router.ts";
import { configuredProviderNet } from "./provider_net.ts";
import { saveProviderHealth } from "./provider_state.ts";

export interface RefreshSummary {
  active: number;
  /** The active securities by asset type: what `--universe listed` draws its stocks and ETFs from. */
  activeByType: Partial<Record<SymbolRow["asset_type"], number>>;
  delisted: number;
  added: number;
  /** Delisted securities from Alpha Vantage that the directory never showed. */
  addedDelisted: number;
  testIssues: number;
  usedLastGood: boolean;
  error?: string;
}

export async function refreshSymbols(
  { store, engine, config, alphaVantageKey, net, fetch, now = () => new Date(), log = silentLogger }: {
    store: ObjectStore;
    engine: ParquetEngine;
    config: Config["providers"];
    /** With a key, Alpha Vantage LISTING_STATUS adds IPO and delisting dates, and delisted securities. */
    alphaVantageKey?: string;
    /** Each call then passes its provider's rate limit, daily quota and breaker, and counts in its health. */
    net?: { router: Router };
    fetch?: Fetch;
    now?: () => Date;
    log?: Logger;
  },
): Promise<RefreshSummary> {
  const guarded = <T>(capability: Capability, provider: string, call: () => Promise<T>): Promise<T> =>
    net ? net.router.run(capability, call, [provider]).then((r) => r.value) : call();
  // Held from reading the master to writing it back, fetches included: they are three files.
  await using _ = await lockTable({ store, table: "symbols", job: "refresh_symbols", log });
  const previous = await readSymbolMaster(store, engine);
  const counts = (rows: SymbolRow[]) => {
    const active = rows.filter((r) => r.status === "active");
    const activeByType: RefreshSummary["activeByType"] = {};
    for (const r of active) activeByType[r.asset_type] = (activeByType[r.asset_type] ?? 0) + 1;
    return { active: active.length, activeByType, delisted: rows.length - active.length };
  };
  const client = createNasdaqTraderClient({ baseUrl: config.nasdaqtrader, fetch });
  const listed: ListingRow[] = [];
  let testIssues = 0;
  let rawRef = "";
  try {
    for (const file of ["nasdaqlisted", "otherlisted"] as ListingFile[]) {
      const parsed = await guarded("listing", "nasdaqtrader", async () => {
        const reply = await client.fetchListing(file);
        const key = await writeRaw(store, reply, { dataset: "symdir", name: file, ext: "txt" });
        rawRef ||= key;
        if (reply.status !== 200) throw statusError("nasdaqtrader", reply, `fetch ${file}.txt`);
        return parseListing(file, new TextDecoder().decode(reply.body));
      });
      for (const s of parsed.skipped) log.warn("symbols.skipped", { file, detail: s });
      listed.push(...parsed.rows);
      testIssues += parsed.testIssues;
    }
  } catch (e) {
    rethrowLakeFailure(e);
    log.error("symbols.listing_failed", { message: (e as Error).message, kept: previous.length });
    return {
      ...counts(previous),
      added: 0,
      addedDelisted: 0,
      testIssues,
      usedLastGood: true,
      error: (e as Error).message,
    };
  }

  // CIKs are an enrichment: without them the master is still right, so a SEC failure only warns.
  let ciks = new Map<string, string>();
  try {
    ciks = await guarded("ciks", "sec", async () => {
      const reply = await fetchCompanyTickers({ baseUrl: config.sec, userAgent: config.secUserAgent, fetch });
      await writeRaw(store, reply, { dataset: "company_tickers", name: "company_tickers" });
      if (reply.status !== 200) throw secStatusError(reply, "fetch company_tickers.json");
      return parseCompanyTickers(new TextDecoder().decode(reply.body));
    });
  } catch (e) {
    rethrowLakeFailure(e);
    log.warn("symbols.cik_failed", { message: (e as Error).message });
  }

  const lists: Parameters<typeof latestListings>[0] = [];
  if (alphaVantageKey) {
    const av = createAlphaVantageClient({ baseUrl: config.alphavantage, apiKey: alphaVantageKey, fetch });
    for (const state of ["active", "delisted"] as const) {
      try {
        lists.push(
          await guarded("listing", "alphavantage", async () => {
            const reply = await av.listingStatus(state);
            const rawRef = await writeRaw(store, reply, { dataset: "listing_status", name: state, ext: "csv" });
            return { rows: parseListingStatus(new TextDecoder().decode(reply.body)), rawRef };
          }),
        );
      } catch (e) {
        rethrowLakeFailure(e);
        log.warn("symbols.listing_status_failed", { state, message: (e as Error).message });
      }
    }
  }
  const today = now().toISOString().slice(0, 10);
  const merged = mergeSymbolMaster(previous, listed, ciks, today, rawRef, latestListings(lists));
  for (const row of merged.rows) SymbolRowSchema.parse(row);
  await writeSymbolMaster(store, engine, merged.rows);
  const summary = {
    ...counts(merged.rows),
    added: merged.added,
    addedDelisted: merged.addedDelisted,
    testIssues,
    usedLastGood: false,
  };
  log.info("symbols.done", summary);
  return summary;
}

/**
 * The symbol refresh as the CLI and the cron run it: the configured lake and keys, every call
 * through the provider guards, and the providers' health saved after.
 */
export async function runSymbolRefresh(
  config: Config,
  { log = silentLogger, now }: { log?: Logger; now?: () => Date } = {},
): Promise<RefreshSummary> {
  const store = openStore(config.lake);
  await using net = configuredProviderNet(store, config.net);
  const summary = await refreshSymbols({
    store,
    engine: createWasmEngine(),
    config: config.providers,
    alphaVantageKey: config.keys.alphavantage,
    net,
    log,
    now,
  });
  await saveProviderHealth(store, await net.snapshot());
  return summary;
}
