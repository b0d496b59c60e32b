/**
 * How many minute bars the replay server's market holds, for tests to compare an ingest with:
 * the simulator itself is the oracle, so no count is copied by hand.
 */
import { newYorkMidnightMs } from "../../lake/calendar.ts";
import { isoToDays } from "../../lake/schemas/columns.ts";
import { simulatedMinutes } from "../../pipelines/replay/minute_sim.ts";

/** Minutes of `symbol`, all sessions, starting in `[from, to]` (epoch ms) and ended by `now`. */
export function minutesBetween(symbol: string, from: number, to: number, now: Date): number {
  let n = 0;
  for (const _ of simulatedMinutes(symbol, { seed: 1, now: now.getTime(), from, to, extended: true })) n++;
  return n;
}

/** Minutes of `symbol` on the New York days `[from, to]`, midnight to midnight there. */
export function minutesOnDays(symbol: string, from: string, to: string, now: Date): number {
  return minutesBetween(symbol, newYorkMidnightMs(isoToDays(from)), newYorkMidnightMs(isoToDays(to) + 1) - 1, now);
}
