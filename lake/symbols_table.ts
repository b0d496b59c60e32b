/**
 * Read and write the symbol master table (`reference/symbols`) as rows.
 * @module
 */
import { layout } from "./layout.ts";
import type { ParquetEngine } from "./parquet/engine.ts";
import { type Batch, daysToIso, emptyBatch, isoToDays, num, str } from "./schemas/columns.ts";
import { type SymbolRow, SYMBOLS } from "./schemas/symbols.ts";
import type { ObjectStore } from "./store.ts";

function toBatch(rows: SymbolRow[]): Batch {
  const b = emptyBatch(SYMBOLS, rows.length);
  rows.forEach((r, i) => {
    for (const { name, type } of SYMBOLS) {
      const v = r[name as keyof SymbolRow];
      if (type === "date") num(b, name)[i] = v === null ? NaN : isoToDays(v as string);
      else str(b, name)[i] = v as string | null;
    }
  });
  return b;
}

function fromBatch(b: Batch): SymbolRow[] {
  return Array.from({ length: b.length }, (_, i) =>
    Object.fromEntries(
      SYMBOLS.map(({ name, type }) => {
        if (type !== "date") return [name, str(b, name)[i]];
        const d = num(b, name)[i];
        return [name, Number.isNaN(d) ? null : daysToIso(d)];
      }),
    ) as SymbolRow);
}

/** The current master (empty when none was written yet). */
export async function readSymbolMaster(store: ObjectStore, engine: ParquetEngine): Promise<SymbolRow[]> {
  const bytes = await store.get(layout.symbols);
  return bytes ? fromBatch(await engine.decode(bytes, SYMBOLS)) : [];
}

/** Replace the master in one atomic write. */
export async function writeSymbolMaster(store: ObjectStore, engine: ParquetEngine, rows: SymbolRow[]): Promise<void> {
  await store.put(layout.symbols, await engine.encode(toBatch(rows), SYMBOLS));
}

/**
 * Whether a master row was listed on `day` (YYYY-MM-DD): from its IPO date until its delisting
 * date (exclusive); a symbol the directory dropped with no known date counts through the last day
 * it was seen. An unknown IPO date bounds nothing, so a symbol is never missed for lack of one.
 */
export function listedOn(row: SymbolRow, day: string): boolean {
  if (row.ipo_date && day < row.ipo_date) return false;
  if (row.delisting_date) return day < row.delisting_date;
  return row.status === "active" || day <= row.last_seen;
}

/** The master's common stocks and ETFs listed now, or on `day` ({@linkcode listedOn}). */
export function listedSymbols(rows: SymbolRow[], day?: string): string[] {
  return rows
    .filter((r) => r.asset_type === "stock" || r.asset_type === "etf")
    .filter((r) => day === undefined ? r.status === "active" : listedOn(r, day))
    .map((r) => r.symbol);
}
