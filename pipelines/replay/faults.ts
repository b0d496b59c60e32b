/**
 * Fault injection for the replay server: 429s, Alpha Vantage `Note` and daily-limit replies, 5xx,
 * stalls past the client's timeout, malformed and truncated JSON, HTML error pages, and enforcement
 * of the real rate limits (answered the way each provider answers). Deterministic: a seeded draw
 * per request.
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { unit } from "./market_sim.ts";

export interface FaultRates {
  http429?: number;
  avNote?: number;
  http5xx?: number;
  stall?: number;
  malformed?: number;
  truncated?: number;
  html?: number;
}

export interface LimitRule {
  perMinute?: number;
  perSecond?: number;
  /** Calls over the replay's life, its "day": past them Alpha Vantage says its daily limit is spent. */
  perDay?: number;
  style: "http429" | "avNote";
}

const AV_NOTE = JSON.stringify({
  Note:
    "Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per minute and 500 calls per day. Please visit https://www.alphavantage.co/premium/ if you would like to target a higher API call frequency.",
});
const AV_DAILY = JSON.stringify({
  Information:
    "Thank you for using Alpha Vantage! Our standard API rate limit is 25 requests per day. Please subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to instantly remove all daily rate limits.",
});
const HTML = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>";

export function faultInjection(
  { seed = 7, rates = {}, paths = ["/"], stallMs = 5_000, enforceLimits = {}, now = () => Date.now() }: {
    seed?: number;
    rates?: FaultRates;
    /** Only requests whose path starts with one of these get faults. */
    paths?: string[];
    stallMs?: number;
    enforceLimits?: Record<string, LimitRule>;
    now?: () => number;
  },
) {
  let n = 0;
  const stats = { requests: 0, faults: {} as Record<string, number>, limited: 0 };
  const recent = new Map<string, number[]>();
  const today = new Map<string, number>();
  const count = (k: string) => stats.faults[k] = (stats.faults[k] ?? 0) + 1;

  const middleware: MiddlewareHandler = async (c, next) => {
    const path = new URL(c.req.url).pathname;
    stats.requests++;
    for (const [prefix, rule] of Object.entries(enforceLimits)) {
      if (!path.startsWith(prefix)) continue;
      const t = now();
      if (rule.perDay !== undefined && (today.get(prefix) ?? 0) >= rule.perDay) {
        stats.limited++;
        return rule.style === "avNote"
          ? c.body(AV_DAILY, 200, { "content-type": "application/json" })
          : c.body("Too Many Requests", 429);
      }
      today.set(prefix, (today.get(prefix) ?? 0) + 1);
      const hits = (recent.get(prefix) ?? []).filter((h) => t - h < 60_000);
      const lastSecond = hits.filter((h) => t - h < 1_000).length;
      if (
        (rule.perMinute !== undefined && hits.length >= rule.perMinute) ||
        (rule.perSecond !== undefined && lastSecond >= rule.perSecond)
      ) {
        stats.limited++;
        recent.set(prefix, hits);
        return rule.style === "avNote"
          ? c.body(AV_NOTE, 200, { "content-type": "application/json" })
          : c.body(JSON.stringify({ message: "too many requests" }), 429, {
            "retry-after": "1",
            "content-type": "application/json",
          });
      }
      hits.push(t);
      recent.set(prefix, hits);
    }
    if (!paths.some((p) => path.startsWith(p))) return await next();
    let draw = unit(seed, ++n, 0x0fa);
    const pick = (rate = 0) => (draw -= rate) < 0;
    if (pick(rates.http429)) return count("http429"), c.body("Too Many Requests", 429, { "retry-after": "1" });
    if (pick(rates.avNote)) return count("avNote"), c.body(AV_NOTE, 200, { "content-type": "application/json" });
    if (pick(rates.http5xx)) return count("http5xx"), c.body("Service Unavailable", 503);
    if (pick(rates.html)) return count("html"), c.body(HTML, 200, { "content-type": "text/html" });
    if (pick(rates.malformed)) {
      return count("malformed"),
        c.body('{"chart":{"result":[{"meta":{"symbol":', 200, { "content-type": "application/json" });
    }
    if (pick(rates.stall)) {
      count("stall");
      await new Promise((r) => setTimeout(r, stallMs));
    }
    const truncate = pick(rates.truncated);
    await next();
    if (truncate) {
      count("truncated");
      const body = new Uint8Array(await c.res.arrayBuffer());
      c.res = new Response(body.slice(0, Math.floor(body.length / 2)), {
        status: c.res.status,
        headers: c.res.headers,
      });
    }
  };
  return { middleware, stats: () => structuredClone(stats) };
}
