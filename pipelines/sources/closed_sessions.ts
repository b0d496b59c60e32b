/**
 * A daily bar fetched before its session closed holds the day so far: the last trade as its close,
 * part of its volume. Yahoo and Alpha Vantage both serve such a bar during market hours; kept, it
 * would look final. It is left out instead, and the next fetch after the close brings the day whole.
 * @module
 */
import { sessionCloseMs } from "../../lake/calendar.ts";
import { type Batch, daysToIso, num, takeRows } from "../../lake/schemas/columns.ts";

/** `parsed` without the bars whose regular session had not closed at `fetchedAt`, each named in a warning. */
export function closedSessionsOnly<T extends { batch: Batch; warnings: string[] }>(parsed: T, fetchedAt: Date): T {
  const dates = num(parsed.batch, "date");
  const keep: number[] = [];
  const warnings = [...parsed.warnings];
  for (let i = 0; i < dates.length; i++) {
    if (sessionCloseMs(dates[i]) <= fetchedAt.getTime()) keep.push(i);
    else {warnings.push(
        `the session of ${daysToIso(dates[i])} had not closed when fetched: its bar so far was left out`,
      );}
  }
  return keep.length === dates.length ? parsed : { ...parsed, batch: takeRows(parsed.batch, keep), warnings };
}
