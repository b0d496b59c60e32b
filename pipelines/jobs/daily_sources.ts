/**
 * Daily-bar sources for the ingest job: each wires a provider client to its parser.
 * @module
 */
import { providerSymbol } from "../../lake/symbol.ts";
import { type Fetch, statusError } from "../sources/http.ts";
import { createYahooClient, parseChartBody } from "../sources/yahoo/client.ts";
import { toDailyBars } from "../sources/yahoo/daily.ts";
import type { DailyBarSource } from "./ingest_daily.ts";

/**
 * Yahoo chart daily bars. The request always runs to today: Yahoo adjusts every earlier bar for
 * later splits, and only splits inside the requested window come back as events, so a shorter
 * window could not be un-adjusted to as-traded prices.
 */
export function yahooDailySource(
  { baseUrl, fetch, now = () => new Date(), timeoutMs }: {
    baseUrl: string;
    fetch?: Fetch;
    now?: () => Date;
    timeoutMs?: number;
  },
): DailyBarSource {
  const client = createYahooClient({ baseUrl, fetch, timeoutMs });
  return {
    provider: "yahoo",
    dataset: "chart_1d",
    fetch(symbol, { fromDay }) {
      const period2 = Math.floor(now().getTime() / 1000);
      return client.fetchChart(providerSymbol(symbol, "yahoo"), { period1: fromDay * 86_400, period2, interval: "1d" });
    },
    parse(reply, symbol, range) {
      // Yahoo's 404 carries a JSON error body worth reading; other failures are judged by status.
      if (reply.status !== 200 && reply.status !== 404) {
        throw statusError("yahoo", reply, `fetch daily bars for '${symbol}'`);
      }
      const chart = parseChartBody(reply.body, symbol);
      return toDailyBars(chart, { symbol, ...range });
    },
  };
}
