/**
 * Named symbol universes for `--universe`: `demo`, `sp500`, `listed` (the symbol master's common
 * stocks and ETFs listed today), `listed:<YYYY-MM-DD>` (those listed on that day, delisted ones
 * included, for work free of survivorship bias), `file:<path>` (one symbol per line), or
 * `sim:<n>` (n synthetic tickers for benchmarks against the simulated market).
 * @module
 */
import { parseIsoDay } from "../../lake/calendar.ts";
import type { SymbolRow } from "../../lake/schemas/symbols.ts";
import { canonicalSymbol } from "../../lake/symbol.ts";
import { listedSymbols } from "../../lake/symbols_table.ts";

/** The universe names, for help texts. */
export const UNIVERSE_NAMES = "demo, sp500, listed, listed:<YYYY-MM-DD>, sim:<n> or file:<path>";

/** A small, recognisable set: the symbols with real recordings first, then large caps. */
export const DEMO_UNIVERSE = [
  "AAPL",
  "MSFT",
  "NVDA",
  "TSLA",
  "QQQ",
  "SPY",
  "GOOGL",
  "AMZN",
  "META",
  "JPM",
  "XOM",
  "JNJ",
  "BRK.B",
  "KO",
  "PG",
  "V",
];

const SP500_FILE = new URL("./universes/sp500_constituents_2026-08-08.csv", import.meta.url);

/** The S&P 500 symbols from the shipped constituents file. */
export async function sp500Symbols(): Promise<string[]> {
  const lines = (await Deno.readTextFile(SP500_FILE)).split(/\r?\n/).slice(1).filter((l) => l.trim());
  return lines.map((l) => canonicalSymbol(l.slice(0, l.indexOf(","))));
}

/** `n` synthetic tickers (`S0000`, `S0001`, ...), served by the replay server's simulated market. */
export function simulatedSymbols(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `S${String(i).padStart(4, "0")}`);
}

/**
 * Resolve a universe name to canonical symbols.
 *
 * @example
 * ```ts
 * import { resolveUniverse } from "./universe.ts";
 * const s = await resolveUniverse("sim:3");
 * if (s.join() !== "S0000,S0001,S0002") throw new Error();
 * ```
 */
export async function resolveUniverse(
  name: string,
  { master, today = new Date() }: { master?: () => Promise<SymbolRow[]>; today?: Date } = {},
): Promise<string[]> {
  if (name === "demo") return DEMO_UNIVERSE;
  const listed = /^listed(?::(.*))?$/.exec(name);
  if (listed) return listedUniverse(name, listed[1], master, today);
  if (name === "sp500") return await sp500Symbols();
  const sim = /^sim:(\d{1,5})$/.exec(name);
  if (sim) return simulatedSymbols(Number(sim[1]));
  if (name.startsWith("file:")) {
    const text = await Deno.readTextFile(name.slice(5));
    return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith("#")).map((s) =>
      canonicalSymbol(s)
    );
  }
  throw new RangeError(`Cannot resolve universe '${name}': expected ${UNIVERSE_NAMES}`);
}

async function listedUniverse(
  name: string,
  day: string | undefined,
  master: (() => Promise<SymbolRow[]>) | undefined,
  today: Date,
): Promise<string[]> {
  if (day !== undefined && parseIsoDay(day, "universe day") > today.getTime() / 86_400_000) {
    throw new RangeError(`Cannot resolve universe '${name}': the day is in the future`);
  }
  const rows = master ? await master() : [];
  if (rows.length === 0) {
    throw new RangeError(`Cannot resolve universe '${name}': the symbol master is empty (run \`deno task symbols\`)`);
  }
  return listedSymbols(rows, day);
}
