/**
 * Date-range input for jobs: ISO dates only, checked for existence and order, so an impossible
 * range fails before any request is made.
 * @module
 */
import { parseIsoDay } from "../../lake/calendar.ts";

/**
 * Check a `[from, to]` range: both real days, from <= to, not before 1970 and not after today.
 * `what` names the job in the errors.
 *
 * @example
 * ```ts
 * import { parseRange } from "./dates.ts";
 * const r = parseRange("2024-01-02", "2024-01-05", new Date("2026-01-01"));
 * if (r.toDay - r.fromDay !== 3) throw new Error();
 * ```
 */
export function parseRange(
  from: string,
  to: string,
  today: Date,
  what = "ingest",
): { fromDay: number; toDay: number } {
  const fromDay = parseIsoDay(from, "--from");
  const toDay = parseIsoDay(to, "--to");
  const todayDay = Math.floor(today.getTime() / 86_400_000);
  if (fromDay > todayDay) throw new RangeError(`Cannot ${what} from ${from}: it is in the future`);
  if (fromDay > toDay) throw new RangeError(`Cannot ${what} range ${from}..${to}: --from is after --to`);
  if (fromDay < 0) throw new RangeError(`Cannot ${what} from ${from}: dates before 1970-01-01 are not supported`);
  return { fromDay, toDay: Math.min(toDay, todayDay) };
}
