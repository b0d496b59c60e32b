/**
 * The replay server's Yahoo chart endpoint: replies in Yahoo's exact JSON shape, with real
 * recorded bars where we have them and the simulated market elsewhere, split-adjusted as of the
 * reply's end the way Yahoo adjusts.
 * @module
 */
import type { Hono } from "hono";
import { newYorkOffsetHours, sessionCloseMs } from "../../lake/calendar.ts";
import { roundPrice } from "../../lake/schemas/columns.ts";
import { canonicalSymbol } from "../../lake/symbol.ts";
import { sessionOpenMs } from "./minute_sim.ts";
import type { Series } from "./market_sim.ts";
import { seriesFor } from "./series.ts";
import { yahooMinuteReply } from "./yahoo_minute.ts";

const DAY_S = 86_400;

/** Unix seconds of 09:30 New York on an epoch day: Yahoo stamps daily bars at the open. */
function openTimestamp(day: number): number {
  return sessionOpenMs(day) / 1000;
}

/**
 * Yahoo sends bar prices as float32 widened to double: the recordings hold 13.237000465393066
 * for 13.237. Rounding to four decimals here instead would lose the precision that lets a reader
 * undo the split adjustment back to whole cents.
 */
const float32 = Math.fround;

/**
 * The JSON body Yahoo would send for a daily chart of `symbol` (canonical) over
 * `[fromDay, toDay]`, as seen on `now`.
 */
export function yahooChartBody(
  symbol: string,
  { fromDay, toDay, now, seed = 1 }: { fromDay: number; toDay: number; now: Date; seed?: number },
): string {
  const today = Math.floor(now.getTime() / 1000 / DAY_S);
  const end = Math.min(toDay, today);
  const s = seriesFor(symbol, seed, today);
  const idx: number[] = [];
  for (let i = 0; i < s.days.length; i++) if (s.days[i] >= fromDay && s.days[i] <= end) idx.push(i);

  // Yahoo adjusts every bar for the splits after it (up to now), and adjclose also for dividends.
  const splitAfter = (day: number) => s.splits.reduce((f, sp) => (sp.day > day ? f * sp.ratio : f), 1);
  const prevClose = new Map<number, number>();
  for (let i = 1; i < s.days.length; i++) {
    prevClose.set(
      s.days[i],
      s.close[i - 1] / (s.splits.find((sp) => sp.day === s.days[i])?.ratio ?? 1),
    );
  }
  const divFactorAfter = (day: number) =>
    s.dividends.reduce(
      (f, d) => (d.day > day && prevClose.has(d.day) ? f * (1 - d.amount / prevClose.get(d.day)!) : f),
      1,
    );

  const ts = idx.map((i) => openTimestamp(s.days[i]));
  // During a session Yahoo's last bar is the day so far, stamped with the time of its last trade.
  const lastDay = idx.length ? s.days[idx.at(-1)!] : undefined;
  const soFar = lastDay === undefined ? undefined : sessionSoFar(lastDay, now);
  if (soFar !== undefined) ts[ts.length - 1] = Math.floor(now.getTime() / 1000);
  const q = {
    open: [] as number[],
    high: [] as number[],
    low: [] as number[],
    close: [] as number[],
    volume: [] as number[],
  };
  const adjclose: number[] = [];
  for (const i of idx) {
    const f = splitAfter(s.days[i]);
    const bar = soFar !== undefined && s.days[i] === lastDay ? barSoFar(barOf(s, i), soFar) : barOf(s, i);
    q.open.push(float32(bar.open / f));
    q.high.push(float32(bar.high / f));
    q.low.push(float32(bar.low / f));
    q.close.push(float32(bar.close / f));
    q.volume.push(Math.round(bar.volume * f));
    adjclose.push(float32((bar.close / f) * divFactorAfter(s.days[i])));
  }
  const inRange = (day: number) => day >= fromDay && day <= end;
  const dividends = Object.fromEntries(
    s.dividends.filter((d) => inRange(d.day)).map((
      d,
    ) => [openTimestamp(d.day), { amount: roundPrice(d.amount / splitAfter(d.day)), date: openTimestamp(d.day) }]),
  );
  const splits = Object.fromEntries(
    s.splits.filter((sp) => inRange(sp.day)).map((sp) => [
      openTimestamp(sp.day),
      { date: openTimestamp(sp.day), numerator: sp.ratio, denominator: 1, splitRatio: `${sp.ratio}:1` },
    ]),
  );
  const real = "realStart" in s && s.realStart !== undefined && s.realEnd !== undefined && s.realEnd >= s.realStart;
  const last = s.days.length - 1;
  const meta = {
    currency: "USD",
    symbol: symbol.replaceAll(".", "-"),
    exchangeName: "NMS",
    instrumentType: "EQUITY",
    firstTradeDate: openTimestamp(s.days[0]),
    regularMarketTime: openTimestamp(s.days[last]) + 6.5 * 3600,
    gmtoffset: newYorkOffsetHours(today) * 3600,
    timezone: newYorkOffsetHours(today) === -4 ? "EDT" : "EST",
    exchangeTimezoneName: "America/New_York",
    regularMarketPrice: s.close[last],
    chartPreviousClose: idx.length
      ? roundPrice(s.close[Math.max(0, idx[0] - 1)] / splitAfter(s.days[Math.max(0, idx[0] - 1)]))
      : s.close[last],
    priceHint: 2,
    dataGranularity: "1d",
    range: "",
    ticklake: real
      ? { realFrom: openTimestamp(s.days[s.realStart!]), realTo: openTimestamp(s.days[s.realEnd!]) }
      : { realFrom: null, realTo: null },
  };
  const result = idx.length
    ? {
      meta,
      timestamp: ts,
      ...(Object.keys(dividends).length || Object.keys(splits).length
        ? {
          events: {
            ...(Object.keys(dividends).length ? { dividends } : {}),
            ...(Object.keys(splits).length ? { splits } : {}),
          },
        }
        : {}),
      indicators: { quote: [q], adjclose: [{ adjclose }] },
    }
    : { meta, indicators: { quote: [{}], adjclose: [{}] } };
  return JSON.stringify({ chart: { result: [result], error: null } });
}

type Bar = { open: number; high: number; low: number; close: number; volume: number };

const barOf = (s: Series, i: number): Bar => ({
  open: s.open[i],
  high: s.high[i],
  low: s.low[i],
  close: s.close[i],
  volume: s.volume[i],
});

/** How far `now` is into `day`'s regular session (0 to 1), when it is inside it. */
function sessionSoFar(day: number, now: Date): number | undefined {
  const open = openTimestamp(day) * 1000, close = sessionCloseMs(day), t = now.getTime();
  return t >= open && t < close ? (t - open) / (close - open) : undefined;
}

/** A day's bar as it stood `part` of the way through its session: the close drifts from the open. */
function barSoFar(day: Bar, part: number): Bar {
  const close = roundPrice(day.open + (day.close - day.open) * part);
  const top = Math.max(day.open, close), bottom = Math.min(day.open, close);
  return {
    open: day.open,
    high: roundPrice(top + (day.high - Math.max(day.open, day.close)) * part),
    low: roundPrice(bottom - (Math.min(day.open, day.close) - day.low) * part),
    close,
    volume: Math.round(day.volume * part),
  };
}

const notFound = () =>
  JSON.stringify({
    chart: { result: null, error: { code: "Not Found", description: "No data found, symbol may be delisted" } },
  });
const badRequest = (description: string) =>
  JSON.stringify({ chart: { result: null, error: { code: "Bad Request", description } } });

/** Register `GET /v8/finance/chart/:symbol`. */
export function yahooRoutes({ seed = 1, now = () => new Date() }: { seed?: number; now?: () => Date } = {}) {
  return (app: Hono) => {
    app.get("/v8/finance/chart/:symbol", async (c) => {
      // Yahoo's edge turns away, before anything else, a client that does not look like a browser.
      if (!c.req.header("user-agent")?.startsWith("Mozilla/")) return c.text("Too Many Requests\r\n", 429);
      const json = (body: string, status: 200 | 400 | 404 | 422) =>
        c.body(body, status, { "content-type": "application/json;charset=utf-8" });
      let symbol: string;
      try {
        symbol = canonicalSymbol(c.req.param("symbol"), { fromProvider: true });
      } catch {
        return json(notFound(), 404);
      }
      const p1 = Number(c.req.query("period1") ?? 0),
        p2 = Number(c.req.query("period2") ?? Math.floor(now().getTime() / 1000));
      if (!Number.isInteger(p1) || !Number.isInteger(p2) || p1 < 0 || p2 < p1) {
        return json(badRequest(`Invalid input - period1 and period2 must be ordered integers`), 400);
      }
      const interval = c.req.query("interval") ?? "1d";
      if (interval === "1m") {
        const reply = await yahooMinuteReply(symbol, c.req.param("symbol"), {
          period1: p1,
          period2: p2,
          now: now(),
          seed,
          includePrePost: c.req.query("includePrePost") === "true",
        });
        return json(reply.body, reply.status);
      }
      if (interval !== "1d") {
        return json(badRequest(`Invalid input - interval=${interval} is not supported by the replay server`), 400);
      }
      // Like Yahoo, serve the bars stamped in [period1, period2).
      let fromDay = Math.floor(p1 / DAY_S), toDay = Math.floor(p2 / DAY_S);
      if (openTimestamp(fromDay) < p1) fromDay++;
      if (openTimestamp(toDay) >= p2) toDay--;
      return json(yahooChartBody(symbol, { fromDay, toDay, now: now(), seed }), 200);
    });
  };
}
