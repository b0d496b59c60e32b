/** Symbol master rows for tests: an active NYSE stock seen on 2026-01-05, changed where given. */
import type { SymbolRow } from "../../lake/schemas/symbols.ts";

export const symbolRow = (symbol: string, over: Partial<SymbolRow> = {}): SymbolRow => ({
  symbol,
  name: symbol,
  exchange: "NYSE",
  asset_type: "stock",
  status: "active",
  first_seen: "2026-01-05",
  last_seen: "2026-01-05",
  cik: null,
  ipo_date: null,
  delisting_date: null,
  yahoo_symbol: symbol,
  nasdaq_symbol: null,
  cqs_symbol: null,
  raw_ref: "raw/x",
  ...over,
});
