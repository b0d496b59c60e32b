/**
 * The replay server's Alpaca market data endpoint, `GET /v2/stocks/{symbol}/bars` with
 * `timeframe=1Min`: Alpaca's JSON shape and paging (`limit`, an opaque `next_page_token`), with
 * minute bars simulated inside each day's bar of the simulated market. Every reply carries
 * `ticklake.simulated: true`, as Yahoo replies carry `meta.ticklake`, so that no simulated row
 * passes for real data.
 * @module
 */
import type { Hono } from "hono";
import { newYorkOffsetHours } from "../../lake/calendar.ts";
import { canonicalSymbol } from "../../lake/symbol.ts";
import { profile, unit } from "./market_sim.ts";
import { seriesFor } from "./yahoo.ts";

const DAY_MS = 86_400_000;
/** Minutes of a regular session, 09:30 to 16:00 New York (early closes are not simulated). */
export const SESSION_MINUTES = 390;

export interface SimulatedMinute {
  t: string;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
  n: number;
  vw: number;
}

const r4 = (x: number) => Math.round(x * 10_000) / 10_000;

/** Epoch milliseconds of 09:30 New York on an epoch day. */
export function sessionOpenMs(day: number): number {
  return day * DAY_MS + (9.5 - newYorkOffsetHours(day)) * 3_600_000;
}

/**
 * One day's minute bars, deterministic per (symbol hash, day): a path from the day's open to its
 * close that reaches its high and its low and never leaves them; volume in a U shape.
 */
export function simulateMinutes(
  hash: number,
  day: number,
  bar: { open: number; high: number; low: number; close: number; volume: number },
): SimulatedMinute[] {
  const { open, high, low, close } = bar;
  const at = (k: number) => 1 + Math.floor(unit(hash, day, 100 + k) * (SESSION_MINUTES - 2));
  const atHigh = at(1), drawn = at(2);
  const atLow = drawn !== atHigh ? drawn : atHigh === 1 ? 2 : atHigh - 1;
  // Anchors in time order: the open, the high and the low (either first), the close.
  const anchors = [[0, open], [atHigh, high], [atLow, low], [SESSION_MINUTES - 1, close]]
    .sort((a, b) => a[0] - b[0]);
  const range = high - low;
  const closes = new Float64Array(SESSION_MINUTES);
  // Between anchors, a random walk pinned at both ends (a Brownian bridge), reflected into the range.
  const walk = new Float64Array(SESSION_MINUTES);
  for (let m = 1; m < SESSION_MINUTES; m++) walk[m] = walk[m - 1] + (unit(hash, day, 1000 + m) - 0.5);
  const step = range * 0.04;
  for (let k = 0; k + 1 < anchors.length; k++) {
    const [m0, p0] = anchors[k], [m1, p1] = anchors[k + 1];
    for (let m = m0; m <= m1; m++) {
      const along = m1 === m0 ? 1 : (m - m0) / (m1 - m0);
      const bridge = walk[m] - walk[m0] - along * (walk[m1] - walk[m0]);
      closes[m] = r4(inside(p0 + (p1 - p0) * along + bridge * step, low, high));
    }
  }
  const out: SimulatedMinute[] = [];
  const weights = Array.from({ length: SESSION_MINUTES }, (_, m) => {
    const x = (m - SESSION_MINUTES / 2) / (SESSION_MINUTES / 2);
    return (1 + 2 * x * x) * (0.5 + unit(hash, day, 5000 + m));
  });
  const total = weights.reduce((a, b) => a + b, 0);
  const start = sessionOpenMs(day);
  for (let m = 0; m < SESSION_MINUTES; m++) {
    // The path starts at the open, so the first minute opens and closes there.
    const o = m === 0 ? open : closes[m - 1], c = closes[m];
    const spread = range * 0.02 * unit(hash, day, 9000 + m);
    const h = r4(Math.min(high, Math.max(o, c) + spread)), l = r4(Math.max(low, Math.min(o, c) - spread));
    const v = Math.round((bar.volume * weights[m]) / total);
    out.push({
      t: new Date(start + m * 60_000).toISOString().replace(".000Z", "Z"),
      o,
      h,
      l,
      c,
      v,
      n: Math.max(1, Math.round(v / 120)),
      vw: r4((o + h + l + c) / 4),
    });
  }
  return out;
}

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

      const today = Math.floor(nowMs / DAY_MS);
      const s = seriesFor(symbol, seed, today);
      const { hash } = profile(seed, symbol);
      const bars: SimulatedMinute[] = [];
      let next: number | null = null;
      for (let i = lowerBound(s.days, Math.floor(from / DAY_MS)); i < s.days.length && next === null; i++) {
        const day = s.days[i];
        if (sessionOpenMs(day) > Math.min(end, nowMs)) break;
        const minutes = simulateMinutes(hash, day, {
          open: s.open[i],
          high: s.high[i],
          low: s.low[i],
          close: s.close[i],
          volume: s.volume[i],
        });
        for (const m of minutes) {
          const t = Date.parse(m.t);
          if (t < from || t > end || t + 60_000 > nowMs) continue;
          if (bars.length === limit) {
            next = t;
            break;
          }
          bars.push(m);
        }
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

/** `x` reflected back into `[low, high]` at either edge (clamping would leave flat runs there). */
function inside(x: number, low: number, high: number): number {
  const reflected = x > high ? 2 * high - x : x < low ? 2 * low - x : x;
  return Math.min(high, Math.max(low, reflected));
}

function decodeToken(token: string): number {
  try {
    return Number(atob(token));
  } catch {
    return NaN;
  }
}

function lowerBound(days: Int32Array, day: number): number {
  let lo = 0, hi = days.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (days[mid] < day) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
