/**
 * Pure merge of the symbol master with today's listings: new symbols appear with
 * `first_seen = today`, listed ones are refreshed, missing ones become `delisted` (kept, with
 * their last `last_seen`), and a returning symbol is active again.
 * @module
 */
import type { SymbolRow } from "../../lake/schemas/symbols.ts";
import { providerSymbol } from "../../lake/symbol.ts";
import type { ListingRow } from "../sources/nasdaqtrader/listing.ts";

export interface MasterChange {
  rows: SymbolRow[];
  added: number;
  delisted: number;
  relisted: number;
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
  /** IPO and delisting dates by symbol (Alpha Vantage LISTING_STATUS), when available. */
  dates: Map<string, { ipo: string | null; delisting: string | null }> = new Map(),
): MasterChange {
  const bySymbol = new Map(previous.map((r) => [r.symbol, r]));
  const seen = new Set<string>();
  let added = 0, relisted = 0, delisted = 0;
  for (const l of listed) {
    if (seen.has(l.symbol)) continue; // the same security listed twice: first listing wins
    seen.add(l.symbol);
    const old = bySymbol.get(l.symbol);
    if (!old) added++;
    else if (old.status === "delisted") relisted++;
    bySymbol.set(l.symbol, {
      symbol: l.symbol,
      name: l.name,
      exchange: l.exchange,
      asset_type: l.asset_type,
      status: "active",
      first_seen: old?.first_seen ?? today,
      last_seen: today,
      cik: ciks.get(l.symbol) ?? old?.cik ?? null,
      ipo_date: dates.get(l.symbol)?.ipo ?? old?.ipo_date ?? null,
      delisting_date: null,
      yahoo_symbol: providerSymbol(l.symbol, "yahoo"),
      nasdaq_symbol: l.nasdaq_symbol,
      cqs_symbol: l.cqs_symbol,
      raw_ref: rawRef,
    });
  }
  for (const [symbol, row] of bySymbol) {
    if (!seen.has(symbol) && row.status === "active") {
      bySymbol.set(symbol, {
        ...row,
        status: "delisted",
        delisting_date: dates.get(symbol)?.delisting ?? row.delisting_date,
      });
      delisted++;
    }
  }
  const rows = [...bySymbol.values()].sort((a, b) => a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0);
  return { rows, added, delisted, relisted };
}
