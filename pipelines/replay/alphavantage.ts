/**
 * The replay server's Alpha Vantage endpoint (`/query`): TIME_SERIES_DAILY_ADJUSTED as CSV or
 * JSON from the same market the Yahoo endpoint serves (so both providers agree on as-traded
 * prices), and AV's soft errors for a missing key or an unknown function.
 * @module
 */
import type { Hono } from "hono";
import { roundPrice } from "../../lake/schemas/columns.ts";
import { canonicalSymbol } from "../../lake/symbol.ts";
import { seriesFor } from "./series.ts";

const DAY_S = 86_400;

export function alphaVantageRoutes({ seed = 1, now = () => new Date() }: { seed?: number; now?: () => Date } = {}) {
  return (app: Hono) => {
    app.get("/query", (c) => {
      const q = c.req.query();
      if (!q.apikey) {
        return c.json({
          "Error Message":
            "the parameter apikey is invalid or missing. Please claim your free API key on (https://www.alphavantage.co/support/#api-key). It should take less than 20 seconds.",
        });
      }
      if (q.function === "LISTING_STATUS") {
        // The real December 2021 active listing; no delisted recording exists, so that list is empty.
        const body = q.state === "delisted"
          ? "symbol,name,exchange,assetType,ipoDate,delistingDate,status\r\n"
          : Deno.readTextFileSync(
            new URL("./recordings/alphavantage/listing_status_active_2021-12.csv", import.meta.url),
          );
        return c.body(body, 200, { "content-type": "application/x-download" });
      }
      if (q.function !== "TIME_SERIES_DAILY_ADJUSTED") {
        return c.json({ "Error Message": `This API function (${q.function}) does not exist.` });
      }
      let symbol: string;
      try {
        symbol = canonicalSymbol(q.symbol ?? "", { fromProvider: true });
      } catch {
        return c.json({
          "Error Message":
            "Invalid API call. Please retry or visit the documentation (https://www.alphavantage.co/documentation/) for TIME_SERIES_DAILY_ADJUSTED.",
        });
      }
      const today = Math.floor(now().getTime() / 1000 / DAY_S);
      const s = seriesFor(symbol, seed, today);
      const splitOn = new Map(s.splits.map((sp) => [sp.day, sp.ratio]));
      const divOn = new Map(s.dividends.map((d) => [d.day, d.amount]));
      // adjusted_close: back-adjusted for every later split and dividend.
      const adj = new Float64Array(s.days.length);
      let factor = 1;
      for (let i = s.days.length - 1; i >= 0; i--) {
        adj[i] = roundPrice(s.close[i] * factor);
        const d = s.days[i];
        if (splitOn.has(d)) factor /= splitOn.get(d)!;
        if (divOn.has(d) && i > 0) factor *= 1 - divOn.get(d)! / s.close[i - 1];
      }
      const idx = Array.from(s.days.keys()).reverse().slice(0, q.outputsize === "full" ? undefined : 100);
      if (q.datatype === "csv") {
        const lines = ["timestamp,open,high,low,close,adjusted_close,volume,dividend_amount,split_coefficient"];
        for (const i of idx) {
          const day = new Date(s.days[i] * DAY_S * 1000).toISOString().slice(0, 10);
          lines.push(
            `${day},${s.open[i]},${s.high[i]},${s.low[i]},${s.close[i]},${adj[i]},${s.volume[i]},${
              (divOn.get(s.days[i]) ?? 0).toFixed(4)
            },${(splitOn.get(s.days[i]) ?? 1).toFixed(1)}`,
          );
        }
        return c.body(lines.join("\r\n") + "\r\n", 200, { "content-type": "application/x-download" });
      }
      const series: Record<string, Record<string, string>> = {};
      for (const i of idx) {
        series[new Date(s.days[i] * DAY_S * 1000).toISOString().slice(0, 10)] = {
          "1. open": String(s.open[i]),
          "2. high": String(s.high[i]),
          "3. low": String(s.low[i]),
          "4. close": String(s.close[i]),
          "5. adjusted close": String(adj[i]),
          "6. volume": String(s.volume[i]),
          "7. dividend amount": (divOn.get(s.days[i]) ?? 0).toFixed(4),
          "8. split coefficient": (splitOn.get(s.days[i]) ?? 1).toFixed(1),
        };
      }
      return c.json({
        "Meta Data": {
          "1. Information": "Daily Time Series with Splits and Dividend Events",
          "2. Symbol": q.symbol,
          "3. Last Refreshed": new Date(s.days[s.days.length - 1] * DAY_S * 1000).toISOString().slice(0, 10),
          "4. Output Size": q.outputsize === "full" ? "Full size" : "Compact",
          "5. Time Zone": "US/Eastern",
        },
        "Time Series (Daily)": series,
      });
    });
  };
}
