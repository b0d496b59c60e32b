/**
 * Daily-bar sources for the ingest job: each wires a provider client to its parser.
 * @module
 */
import { providerSymbol } from "../../lake/symbol.ts";
import { closedSessionsOnly } from "../sources/closed_sessions.ts";
import { type Fetch, statusError } from "../sources/http.ts";
import { createYahooClient, parseChartBody } from "../sources/yahoo/client.ts";
import { toDailyBars } from "../sources/yahoo/daily.ts";
import { parseAlphaVantageDaily } from "../sources/alphavantage/client.ts";
import type { RawResponse } from "../sources/http.ts";
import type { DailyBarSource, DayRange } from "./ingest_daily.ts";

/**
 * Yahoo chart daily bars. The request always runs to today: Yahoo adjusts every earlier bar for
 * later splits, and only splits inside the requested window come back as events, so a shorter
 * window could not be un-adjusted to as-traded prices.
 */
export function yahooDailySource(
  { baseUrl, fetch, now = () => new Date(), timeoutMs, userAgent }: {
    baseUrl: string;
    fetch?: Fetch;
    now?: () => Date;
    timeoutMs?: number;
    userAgent?: string;
  },
): DailyBarSource {
  const client = createYahooClient({ baseUrl, fetch, timeoutMs, now, userAgent });
  return {
    provider: "yahoo",
    dataset: "chart_1d",
    fetch(symbol, { fromDay }) {
      const period2 = Math.floor(now().getTime() / 1000);
      return client.fetchChart(providerSymbol(symbol, "yahoo"), { period1: fromDay * 86_400, period2, interval: "1d" });
    },
    parse: parseYahooDaily,
  };
}

/** Yahoo's parse step alone: a stored chart reply -> daily bars of the sessions closed when it was fetched. */
export function parseYahooDaily(reply: RawResponse, symbol: string, range: DayRange) {
  // Yahoo's 404 carries a JSON error body worth reading; other failures are judged by status.
  if (reply.status !== 200 && reply.status !== 404) {
    throw statusError("yahoo", reply, `fetch daily bars for '${symbol}'`);
  }
  return closedSessionsOnly(toDailyBars(parseChartBody(reply.body, symbol), { symbol, ...range }), reply.fetchedAt);
}

/**
 * Each provider's daily-bar parser by name, for code that has a raw reply but no client: a
 * rebuild from raw, and the workers it parses in (functions cannot be sent to a worker).
 */
export const DAILY_PARSERS = {
  yahoo: { provider: "yahoo", dataset: "chart_1d", parse: parseYahooDaily },
  alphavantage: { provider: "alphavantage", dataset: "daily_adjusted", parse: parseAlphaVantageDaily },
} as const satisfies Record<string, Pick<DailyBarSource, "provider" | "dataset" | "parse">>;
