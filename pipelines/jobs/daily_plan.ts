/**
 * Which symbols today's daily run fetches: tier A (the shipped S&P 500 list plus a Nasdaq-100 file
 * when configured: no Nasdaq-100 list could be shipped offline), tier B (the watchlist file), then
 * tier C (the rest of the active symbol master) from a rotation cursor persisted in the lake, so
 * the whole tail is covered every few days.
 * @module
 */
import { layout } from "../../lake/layout.ts";
import type { ParquetEngine } from "../../lake/parquet/engine.ts";
import { getJson, type ObjectStore, putJson } from "../../lake/store.ts";
import { listedSymbols, readSymbolMaster } from "../../lake/symbols_table.ts";
import { type DailyPlan, planDailyRun } from "../net/tiers.ts";
import { resolveUniverse, sp500Symbols } from "./universe.ts";

const CURSOR = layout.state("daily_cursor");

export async function planToday(
  { store, engine, budget, watchlist, nasdaq100 }: {
    store: ObjectStore;
    engine: ParquetEngine;
    budget: number;
    watchlist?: string;
    nasdaq100?: string;
  },
): Promise<DailyPlan & { commit(): Promise<void> }> {
  const tierA = [...await sp500Symbols(), ...(nasdaq100 ? await resolveUniverse(`file:${nasdaq100}`) : [])];
  const tierB = watchlist ? await resolveUniverse(`file:${watchlist}`) : [];
  const tierC = listedSymbols(await readSymbolMaster(store, engine));
  const cursor = (await getJson<{ cursor: number }>(store, CURSOR))?.cursor ?? 0;
  const plan = planDailyRun({ tierA, tierB, tierC, cursor, budget });
  // The cursor moves only once the run has happened, so a crashed run repeats its slice.
  return { ...plan, commit: () => putJson(store, CURSOR, { cursor: plan.nextCursor }) };
}
