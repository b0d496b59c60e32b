/**
 * A daily bar fetched before its session closed holds the day so far: the last trade as its close,
 * part of its volume. Yahoo and Alpha Vantage both serve such a bar during market hours; kept, it
 * would look final. It is left out instead, and the next fetch after the close brings the day whole.
 * @module
 */
import { sessionClosedBy } from "../../lake/calendar.ts";
import { type Batch, num, takeRows } from "../../lake/schemas/columns.ts";

/**
 * `parsed` without the bars whose regular session had not closed at `fetchedAt`, and those
 * sessions' days (epoch days) as `openSessions`: not a warning, since it is what any fetch during
 * market hours meets, for every symbol.
 */
export function closedSessionsOnly<T extends { batch: Batch }>(
  parsed: T,
  fetchedAt: Date,
): T & { openSessions: number[] } {
  const dates = num(parsed.batch, "date");
  const fetched = fetchedAt.getTime();
  const keep: number[] = [];
  const open: number[] = [];
  for (let i = 0; i < dates.length; i++) {
    if (sessionClosedBy(dates[i], fetched)) keep.push(i);
    else open.push(dates[i]);
  }
  if (!open.length) return { ...parsed, openSessions: [] };
  return { ...parsed, batch: takeRows(parsed.batch, keep), openSessions: open };
}
