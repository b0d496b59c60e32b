/**
 * The replay server's Alpaca market data endpoint, `GET /v2/stocks/{symbol}/bars` with
 * `timeframe=1Min`: Alpaca's JSON shape and paging (`limit`, an opaque `next_page_token`), with
 * minute bars simulated inside each day's bar ({@linkcode ./minute_sim.ts}). Every reply carries
 * `ticklake.simulated: true`, as Yahoo replies carry `meta.ticklake`, so that no simulated row
 * passes for real data.
 * @module
 */
import type { Hono } from "hono";
import { canonicalSymbol } from "../../lake/symbol.ts";
import { type SimulatedMinute, simulatedMinutes } from "./minute_sim.ts";

const error = (code: number, message: string) => JSON.stringify({ code, message });

/** A bound in Alpaca's accepted forms: RFC 3339 or a bare date (start of that day, UTC). */
function parseBound(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : Date.parse(value);
  return Number.isFinite(ms) ? ms : NaN;
}

export function alpacaRoutes({ seed = 1, now = () => new Date() }: { seed?: number; now?: () => Date } = {}) {
  return (app: Hono) => {
    app.get("/v2/stocks/:symbol/bars", (c) => {
      const json = (body: string, status: 200 | 403 | 422) =>
        c.body(body, status, { "content-type": "application/json; charset=UTF-8" });
      // As Alpaca's market data FAQ says: no credentials, 403 (the keys' values are not checked here).
      if (!c.req.header("APCA-API-KEY-ID") || !c.req.header("APCA-API-SECRET-KEY")) {
        return json(JSON.stringify({ message: "forbidden." }), 403);
      }
      let symbol: string;
      try {
        symbol = canonicalSymbol(c.req.param("symbol"), { fromProvider: true });
      } catch {
        return json(error(42210000, "invalid symbol"), 422);
      }
      if (c.req.query("timeframe") !== "1Min") {
        return json(error(42210000, "the replay server simulates timeframe=1Min only"), 422);
      }
      const limit = Number(c.req.query("limit") ?? 1000);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) return json(error(42210000, "invalid limit"), 422);
      const nowMs = now().getTime();
      const start = parseBound(c.req.query("start")), end = parseBound(c.req.query("end")) ?? nowMs;
      if (start === undefined || Number.isNaN(start) || Number.isNaN(end) || start > end) {
        return json(error(42210000, "invalid start or end"), 422);
      }
      // The token is opaque to clients; here it is the time of the next bar to send.
      const token = c.req.query("page_token");
      const from = token === undefined ? start : decodeToken(token);
      if (!Number.isFinite(from)) return json(error(42210000, "invalid page_token"), 422);

      const bars: SimulatedMinute[] = [];
      let next: number | null = null;
      // Alpaca's bars include the pre- and post-market wherever trades happened.
      for (const { ms, ...bar } of simulatedMinutes(symbol, { seed, now: nowMs, from, to: end, extended: true })) {
        if (bars.length === limit) {
          next = ms;
          break;
        }
        bars.push(bar);
      }
      return json(
        JSON.stringify({
          bars: bars.length ? bars : null,
          symbol: c.req.param("symbol"),
          next_page_token: next === null ? null : btoa(String(next)),
          ticklake: { simulated: true },
        }),
        200,
      );
    });
  };
}

function decodeToken(token: string): number {
  try {
    return Number(atob(token));
  } catch {
    return NaN;
  }
}
