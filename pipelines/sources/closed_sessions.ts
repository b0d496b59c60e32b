/**
 * A daily bar fetched before its session closed holds the day so far: the last trade as its close,
 * part of its volume. Yahoo and Alpha Vantage both serve such a bar during market hours; kept, it
 * would look final. It is left out instead, and the next fetch after the close brings the day whole.
 * @module
 */
import { sessionClosedBy } from "../../lake/calendar.ts";
import { type Batch, daysToIso, num, takeRows } from "../../lake/schemas/columns.ts";

/** `parsed` without the bars whose regular session had not closed at `fetchedAt`, each named in a warning. */
export function closedSessionsOnly<T extends { batch: Batch; warnings: string[] }>(parsed: T, fetchedAt: Date): T {
  const dates = num(parsed.batch, "date");
  const fetched = fetchedAt.getTime();
  const keep: number[] = [];
  const open: number[] = [];
  for (let i = 0; i < dates.length; i++) {
    if (sessionClosedBy(dates[i], fetched)) keep.push(i);
    else open.push(dates[i]);
  }
  if (!open.length) return parsed;
  const warnings = open.map((d) =>
    `the session of ${daysToIso(d)} had not closed when fetched: its bar so far was left out`
  );
  return { ...parsed, batch: takeRows(parsed.batch, keep), warnings: [...parsed.warnings, ...warnings] };
}
