/**
 * One symbol's curated daily bars read with a Parquet engine alone, no DuckDB: for jobs that run
 * where native addons cannot (Deno Deploy). The query API (`query.ts`) is the way everywhere else.
 * @module
 */
import { layout } from "./layout.ts";
import type { ParquetEngine } from "./parquet/engine.ts";
import { DAILY_BARS } from "./schemas/daily_bars.ts";
import { daysToIso, num, str } from "./schemas/columns.ts";
import type { ObjectReader, ObjectStore } from "./store.ts";

/** A curated bar as traded, with its adjusted close and events. */
export interface BarRow {
  date: string;
  open: number;
  high: number;
  low: number;
  close: number;
  adj_close: number;
  volume: number;
  dividend: number;
  split_ratio: number;
}

const NUMBERS = ["date", "open", "high", "low", "close", "adj_close", "volume", "dividend", "split_ratio"] as const;
const columns = (...names: string[]) => DAILY_BARS.filter((c) => names.includes(c.name));
const SPEC = columns("symbol", ...NUMBERS);
const SYMBOL_ONLY = columns("symbol");
const yearOf = (day: number) => new Date(day * 86_400_000).getUTCFullYear();

/**
 * `symbol`'s bars in `[fromDay, toDay]` (epoch days), in date order. Partitions are sorted by
 * symbol, so each is read a row group at a time only as far as the symbol's last row.
 */
export async function readSymbolBars(
  store: ObjectStore,
  engine: ParquetEngine,
  symbol: string,
  fromDay: number,
  toDay: number,
): Promise<BarRow[]> {
  const rows: BarRow[] = [];
  for (let year = yearOf(fromDay); year <= yearOf(toDay); year++) {
    const file = await store.openRead(layout.dailyBarsPartition(year));
    if (!file) continue;
    const pieces = engine.decodePieces(file, SPEC)[Symbol.asyncIterator]();
    try {
      for (let next = await pieces.next(); !next.done; next = await pieces.next()) {
        const b = next.value, symbols = str(b, "symbol");
        if (symbols[0]! > symbol) break;
        const cols = Object.fromEntries(NUMBERS.map((c) => [c, num(b, c)]));
        for (let i = 0; i < b.length; i++) {
          const day = cols.date[i];
          if (symbols[i] !== symbol || day < fromDay || day > toDay) continue;
          const row = Object.fromEntries(NUMBERS.map((c) => [c, cols[c][i]])) as unknown as BarRow;
          rows.push({ ...row, date: daysToIso(day) });
        }
        if (symbols[b.length - 1]! > symbol) break;
      }
    } finally {
      await pieces.return?.();
      await file.close();
    }
  }
  return rows;
}

/** What the lake holds of one symbol: its first day, and its close and adj_close on some days. */
export interface LakeBasis {
  firstDay: number;
  bars: Map<number, { close: number; adj: number }>;
}

const FIRST_DAYS = columns("symbol", "date"), BASES = columns("symbol", "date", "close", "adj_close");

/**
 * For each of `symbols` the lake holds: its first day, and its close and adj_close in
 * `[fromDay, toDay]`. Reads the partitions oldest first, only as far as it needs (the window's
 * years, and those before until every symbol's first day is known), and outside the window only
 * their symbols and dates.
 */
export async function lakeBases(
  store: ObjectStore,
  engine: ParquetEngine,
  symbols: Set<string>,
  fromDay: number,
  toDay: number,
): Promise<Map<string, LakeBasis>> {
  const out = new Map<string, LakeBasis>();
  const years = (await store.list(layout.dailyBarsPrefix))
    .map((o) => layout.partitionYear(o.key)).filter((y) => y !== undefined).sort((a, b) => a - b);
  for (const year of years) {
    const inWindow = year >= yearOf(fromDay) && year <= yearOf(toDay);
    if (!inWindow && (year > yearOf(toDay) || out.size === symbols.size)) continue;
    const file = await store.openRead(layout.dailyBarsPartition(year));
    if (!file) continue;
    try {
      for await (const b of engine.decodePieces(file, inWindow ? BASES : FIRST_DAYS)) {
        const symbol = str(b, "symbol"), date = num(b, "date");
        const [close, adj] = inWindow ? [num(b, "close"), num(b, "adj_close")] : [];
        for (let i = 0; i < b.length; i++) {
          const s = symbol[i]!;
          if (!symbols.has(s)) continue;
          let basis = out.get(s);
          if (!basis) out.set(s, basis = { firstDay: date[i], bars: new Map() });
          if (close && date[i] >= fromDay && date[i] <= toDay) {
            basis.bars.set(date[i], { close: close[i], adj: adj![i] });
          }
        }
      }
    } finally {
      await file.close();
    }
  }
  return out;
}

/** The distinct symbols of a daily-bars partition, from its symbol column alone. */
export async function partitionSymbols(engine: ParquetEngine, file: ObjectReader): Promise<Set<string>> {
  const seen = new Set<string>();
  for await (const b of engine.decodePieces(file, SYMBOL_ONLY)) for (const s of str(b, "symbol")) seen.add(s!);
  return seen;
}
