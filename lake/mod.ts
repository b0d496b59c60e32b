/**
 * Ticklake's lake: stores, layout, schemas and the query API that notebooks, CLI and server use.
 * @module
 */
export {
  type DailyBarRow,
  type DailyBarsQuery,
  type DailyInterval,
  type ExportFormat,
  type FundamentalRow,
  type FundamentalsQuery,
  type IndicatorRow,
  type IndicatorsQuery,
  type Lake,
  type MinuteBarRow,
  type MinuteBarsQuery,
  openLake,
  SqlError,
  type SymbolsQuery,
} from "./query.ts";
export { type ObjectInfo, type ObjectStore } from "./store.ts";
export { createLocalStore } from "./store_local.ts";
export { openStore } from "./open_store.ts";
export { layout } from "./layout.ts";
export { DAILY_BARS, type DailyBar, DailyBarSchema } from "./schemas/daily_bars.ts";
export { canonicalSymbol } from "./symbol.ts";
export type { SymbolRow } from "./schemas/symbols.ts";
