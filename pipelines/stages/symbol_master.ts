/**
 * Pure merge of the symbol master with today's listings: new symbols appear with
 * `first_seen = today`, listed ones are refreshed, missing ones become `delisted` (kept, with
 * their last `last_seen`), and a returning symbol is active again. Alpha Vantage's listing status,
 * when there is one, adds IPO and delisting dates, and the common stocks and ETFs it lists as
 * delisted that the directory never showed, so that the master reaches back before Ticklake did.
 * @module
 */
import type { SymbolRow } from "../../lake/schemas/symbols.ts";
import { canonicalSymbol, providerSymbol } from "../../lake/symbol.ts";
import type { ListingStatusRow } from "../sources/alphavantage/client.ts";
import { assetTypeOf, type ListingRow, symbolMark } from "../sources/nasdaqtrader/listing.ts";

/** One security in Alpha Vantage's LISTING_STATUS, under its canonical symbol. */
export interface ListingStatus {
  name: string;
  exchange: string;
  asset_type: SymbolRow["asset_type"];
  ipo: string | null;
  /** Null for a security listed today. */
  delisting: string | null;
  raw_ref: string;
}

/**
 * Alpha Vantage's active and delisted lists as one entry per canonical symbol. A ticker is
 * reused over the years, so the delisted list can hold it several times: a listed security wins,
 * then the latest delisting. A symbol that has no canonical form is left out.
 */
export function latestListings(lists: { rows: ListingStatusRow[]; rawRef: string }[]): Map<string, ListingStatus> {
  const out = new Map<string, ListingStatus>();
  for (const { rows, rawRef } of lists) {
    for (const r of rows) {
      let symbol: string;
      try {
        symbol = canonicalSymbol(r.symbol, { fromProvider: true });
      } catch {
        continue;
      }
      const held = out.get(symbol);
      if (held && (!held.delisting || (r.delistingDate && r.delistingDate <= held.delisting))) continue;
      out.set(symbol, {
        name: r.name,
        exchange: r.exchange,
        asset_type: assetTypeOf(r.name, r.assetType === "ETF", symbolMark(r.symbol, "dashed")),
        ipo: r.ipoDate,
        delisting: r.delistingDate,
        raw_ref: rawRef,
      });
    }
  }
  return out;
}

export interface MasterChange {
  rows: SymbolRow[];
  added: number;
  delisted: number;
  relisted: number;
  /** Delisted securities added from Alpha Vantage that the directory never showed. */
  addedDelisted: number;
}

/**
 * @example A symbol that disappears is kept as delisted
 * ```ts
 * import { mergeSymbolMaster } from "./symbol_master.ts";
 * const listed = [{ symbol: "AAPL", name: "Apple", exchange: "NASDAQ", asset_type: "stock", nasdaq_symbol: "AAPL", cqs_symbol: null }] as const;
 * const day1 = mergeSymbolMaster([], [...listed], new Map(), "2026-01-02", "raw/a");
 * const day2 = mergeSymbolMaster(day1.rows, [], new Map(), "2026-01-05", "raw/b");
 * if (day2.rows[0].status !== "delisted" || day2.rows[0].last_seen !== "2026-01-02") throw new Error();
 * ```
 */
export function mergeSymbolMaster(
  previous: SymbolRow[],
  listed: ListingRow[],
  ciks: Map<string, string>,
  today: string,
  rawRef: string,
  /** Alpha Vantage LISTING_STATUS by symbol, when available ({@linkcode latestListings}). */
  status: Map<string, ListingStatus> = new Map(),
): MasterChange {
  const bySymbol = new Map(previous.map((r) => [r.symbol, r]));
  const seen = new Set<string>();
  let added = 0, relisted = 0, delisted = 0;
  for (const l of listed) {
    if (seen.has(l.symbol)) continue; // the same security listed twice: first listing wins
    seen.add(l.symbol);
    // A symbol back after a recorded delisting is a new security under a reused ticker: the old
    // one's dates and CIK are not its own.
    const old = bySymbol.get(l.symbol)?.delisting_date ? undefined : bySymbol.get(l.symbol);
    if (!bySymbol.has(l.symbol)) added++;
    else if (bySymbol.get(l.symbol)!.status === "delisted") relisted++;
    // A listing-status entry with a delisting date belongs to an earlier security of that ticker.
    const listing = status.get(l.symbol)?.delisting ? undefined : status.get(l.symbol);
    bySymbol.set(l.symbol, {
      symbol: l.symbol,
      name: l.name,
      exchange: l.exchange,
      asset_type: l.asset_type,
      status: "active",
      first_seen: old?.first_seen ?? today,
      last_seen: today,
      cik: ciks.get(l.symbol) ?? old?.cik ?? null,
      ipo_date: listing?.ipo ?? old?.ipo_date ?? null,
      delisting_date: null,
      yahoo_symbol: providerSymbol(l.symbol, "yahoo"),
      nasdaq_symbol: l.nasdaq_symbol,
      cqs_symbol: l.cqs_symbol,
      raw_ref: rawRef,
    });
  }
  for (const [symbol, row] of bySymbol) {
    if (!seen.has(symbol) && row.status === "active") {
      // Only a delisting after the last day the directory listed it is this security's.
      const delisting = status.get(symbol)?.delisting;
      bySymbol.set(symbol, {
        ...row,
        status: "delisted",
        delisting_date: delisting && delisting > row.last_seen ? delisting : row.delisting_date,
      });
      delisted++;
    }
  }
  let addedDelisted = 0;
  for (const [symbol, s] of status) {
    if (!s.delisting || bySymbol.has(symbol) || (s.asset_type !== "stock" && s.asset_type !== "etf")) continue;
    // Never seen by the directory: the days it was seen listed are the ones Alpha Vantage gives.
    bySymbol.set(symbol, {
      symbol,
      name: s.name,
      exchange: s.exchange,
      asset_type: s.asset_type,
      status: "delisted",
      first_seen: s.ipo ?? s.delisting,
      last_seen: s.delisting,
      cik: ciks.get(symbol) ?? null,
      ipo_date: s.ipo,
      delisting_date: s.delisting,
      yahoo_symbol: providerSymbol(symbol, "yahoo"),
      nasdaq_symbol: null,
      cqs_symbol: null,
      raw_ref: s.raw_ref,
    });
    addedDelisted++;
  }
  // Rows the directory no longer lists keep what they were given then: type and spell them by today's rules.
  for (const [symbol, row] of bySymbol) {
    if (!seen.has(symbol)) {
      bySymbol.set(symbol, { ...row, asset_type: retyped(row), yahoo_symbol: providerSymbol(symbol, "yahoo") });
    }
  }
  const rows = [...bySymbol.values()].sort((a, b) => a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0);
  return { rows, added, delisted, relisted, addedDelisted };
}

/**
 * A stored row's asset type by the current rules, from what the row keeps: its name, whether it
 * was an ETF, and its symbol in the spelling it came in (Nasdaq's for a Nasdaq listing, the ACT
 * one for another exchange's, Alpha Vantage's dashes for a security only Alpha Vantage listed).
 */
function retyped(row: SymbolRow): SymbolRow["asset_type"] {
  if (row.asset_type === "etf" || row.asset_type === "other") return row.asset_type;
  const nasdaq = row.nasdaq_symbol !== null && row.cqs_symbol === null;
  const mark = nasdaq
    ? symbolMark(row.nasdaq_symbol!, "nasdaq")
    : row.cqs_symbol === null
    ? symbolMark(row.symbol.replaceAll(".", "-"), "dashed")
    : symbolMark(row.symbol, "act");
  return assetTypeOf(row.name, false, mark, { nasdaqMark: nasdaq });
}
