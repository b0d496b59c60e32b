/**
 * The daily plan under a call budget. Tier A (S&P 500 + Nasdaq-100) and tier B (the user's
 * watchlist) always come first; tier C (the rest) rotates from a persisted cursor so the whole
 * tail is covered every `rotationDays` days. A shortfall for A+B is stated, not hidden.
 * @module
 */

export interface DailyPlan {
  symbols: string[];
  tierCovered: { A: boolean; B: boolean };
  /** How many tier-C symbols made it in today. */
  tierC: number;
  nextCursor: number;
  rotationDays: number | null;
  shortfall?: { needed: number; available: number; message: string };
}

/**
 * @example
 * ```ts
 * import { planDailyRun } from "./tiers.ts";
 * const p = planDailyRun({ tierA: ["A"], tierB: ["B"], tierC: ["C1", "C2", "C3"], cursor: 2, budget: 4 });
 * if (p.symbols.join() !== "A,B,C3,C1" || p.nextCursor !== 1) throw new Error(p.symbols.join());
 * ```
 */
export function planDailyRun(
  { tierA, tierB, tierC, cursor, budget, callsPerSymbol = 1 }: {
    tierA: string[];
    tierB: string[];
    tierC: string[];
    cursor: number;
    budget: number;
    callsPerSymbol?: number;
  },
): DailyPlan {
  const slots = Math.floor(Math.max(0, budget) / callsPerSymbol);
  const seen = new Set<string>();
  const a = tierA.filter((s) => !seen.has(s) && seen.add(s));
  const b = tierB.filter((s) => !seen.has(s) && seen.add(s));
  const c = tierC.filter((s) => !seen.has(s) && seen.add(s));
  const symbols = [...a, ...b].slice(0, slots);
  const plan: DailyPlan = {
    symbols,
    tierCovered: { A: slots >= a.length, B: slots >= a.length + b.length },
    tierC: 0,
    nextCursor: c.length ? cursor % c.length : 0,
    rotationDays: null,
  };
  if (slots < a.length + b.length) {
    plan.shortfall = {
      needed: (a.length + b.length) * callsPerSymbol,
      available: budget,
      message: `The budget of ${budget} calls covers ${slots} of ${
        a.length + b.length
      } tier A+B symbols; tier C gets nothing today.`,
    };
    return plan;
  }
  const free = Math.min(slots - symbols.length, c.length);
  for (let i = 0; i < free; i++) symbols.push(c[(plan.nextCursor + i) % c.length]);
  plan.tierC = free;
  plan.nextCursor = c.length ? (plan.nextCursor + free) % c.length : 0;
  plan.rotationDays = free > 0 ? Math.ceil(c.length / free) : null;
  return plan;
}
