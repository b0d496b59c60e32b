/**
 * The replay server's Yahoo 1m replies: Yahoo's chart JSON for intraday bars, with Yahoo's two
 * limits (at most 7 days a request, only the last 30 days) answered as Yahoo answers them, 422
 * with a `chart.error`. A real recording serves its day; elsewhere the minutes are the simulated
 * ones Alpaca's route serves too, tagged `meta.ticklake`.
 * @module
 */
import { newYorkOffsetHours, regularSessionMinutes } from "../../lake/calendar.ts";
import { POST_MINUTES, PRE_MINUTES, sessionOpenMs, simulatedMinutes } from "./minute_sim.ts";

const DAY_S = 86_400;
const RECORDING = {
  symbol: "AAPL",
  day: 19998,
  file: "chart-AAPL-2024-10-02-to-2024-10-03-includePrePost-false-interval-1m.body.json",
};

const unprocessable = (period1: number, period2: number, why: string) =>
  JSON.stringify({
    chart: {
      result: null,
      error: {
        code: "Unprocessable Entity",
        description: `1m data not available for startTime=${period1} and endTime=${period2}. ${why}`,
      },
    },
  });

/** Yahoo's 1m reply for `[period1, period2)` (unix seconds) as of `now`. */
export async function yahooMinuteReply(
  symbol: string,
  requested: string,
  { period1, period2, now, seed, includePrePost = false }: {
    period1: number;
    period2: number;
    now: Date;
    seed: number;
    includePrePost?: boolean;
  },
): Promise<{ status: 200 | 422; body: string }> {
  const nowS = Math.floor(now.getTime() / 1000);
  if (period2 - period1 > 7 * DAY_S) {
    return {
      status: 422,
      body: unprocessable(
        period1,
        period2,
        "Only 7 days worth of 1m granularity data are allowed to be fetched per request.",
      ),
    };
  }
  if (period1 < nowS - 30 * DAY_S) {
    return {
      status: 422,
      body: unprocessable(period1, period2, "The requested range must be within the last 30 days."),
    };
  }
  if (symbol === RECORDING.symbol && period1 <= (RECORDING.day + 1) * DAY_S && period2 >= RECORDING.day * DAY_S) {
    const file = new URL(`./recordings/yahoo/${RECORDING.file}`, import.meta.url);
    return { status: 200, body: await Deno.readTextFile(file) };
  }

  const q = { open: [] as number[], high: [] as number[], low: [] as number[], close: [] as number[] };
  const volume: number[] = [], timestamp: number[] = [];
  const days = new Set<number>();
  // Yahoo sends the minute under way too, its volume so far.
  const nowMs = now.getTime();
  const range = { seed, now: nowMs + 60_000, from: period1 * 1000, to: period2 * 1000 - 1, extended: includePrePost };
  for (const m of simulatedMinutes(symbol, range)) {
    timestamp.push(m.ms / 1000);
    // As float32 widened to double, the way Yahoo sends prices (see the recording).
    const f = Math.fround;
    q.open.push(f(m.o)), q.high.push(f(m.h)), q.low.push(f(m.l)), q.close.push(f(m.c));
    volume.push(Math.round(m.v * Math.min(1, (nowMs - m.ms) / 60_000)));
    // The minute's New York day: a post-market runs past midnight UTC.
    days.add(Math.floor((m.ms / 1000 + newYorkOffsetHours(Math.floor(m.ms / 1000 / DAY_S)) * 3600) / DAY_S));
  }
  const zone = (day: number) => {
    const offset = newYorkOffsetHours(day);
    return { timezone: offset === -4 ? "EDT" : "EST", gmtoffset: offset * 3600 };
  };
  const today = Math.floor(nowS / DAY_S);
  /** One period a day: `span(day)` gives its start in minutes after 09:30 New York, and its length. */
  const periods = (span: (day: number) => [number, number]) =>
    [...days].map((day) => {
      const [offset, minutes] = span(day);
      const start = sessionOpenMs(day) / 1000 + offset * 60;
      return [{ ...zone(day), start, end: start + minutes * 60 }];
    });
  const regular = (day: number): [number, number] => [0, regularSessionMinutes(day)];
  const meta = {
    currency: "USD",
    symbol: requested,
    exchangeName: "NMS",
    instrumentType: "EQUITY",
    ...zone(today),
    exchangeTimezoneName: "America/New_York",
    dataGranularity: "1m",
    range: "",
    // Per day with bars: its regular session in Yahoo's nested-array form, or with includePrePost,
    // an object of pre, regular and post periods.
    tradingPeriods: includePrePost
      ? {
        pre: periods(() => [-PRE_MINUTES, PRE_MINUTES]),
        regular: periods(regular),
        post: periods((day) => [regularSessionMinutes(day), POST_MINUTES]),
      }
      : periods(regular),
    ticklake: { realFrom: null, realTo: null },
  };
  const result = timestamp.length
    ? { meta, timestamp, indicators: { quote: [{ ...q, volume }] } }
    : { meta, indicators: { quote: [{}] } };
  return { status: 200, body: JSON.stringify({ chart: { result: [result], error: null } }) };
}
