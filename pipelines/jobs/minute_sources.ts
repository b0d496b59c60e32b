/**
 * Minute-bar sources for the ingest job: each wires a provider client to its paging and parser.
 * Alpaca pages by its opaque token; Yahoo serves at most 7 days of 1m bars a request, and only
 * for the last 30 days, so its pages are 7-day slices of the window.
 * @module
 */
import type { Config } from "../../config.ts";
import { providerSymbol } from "../../lake/symbol.ts";
import { createAlpacaClient, parseBarsPage } from "../sources/alpaca/client.ts";
import type { AlpacaBar } from "../sources/alpaca/client.ts";
import { type Fetch, type RawResponse, statusError } from "../sources/http.ts";
import { createYahooClient, parseChartBody } from "../sources/yahoo/client.ts";
import { toMinuteBars } from "../sources/yahoo/minute.ts";

/** A symbol's request window, epoch milliseconds, both ends inclusive. */
export interface MinuteWindow {
  start: number;
  end: number;
}

/** One page of minute bars: the bars, whether the offline replay simulated them, the next cursor. */
export interface MinutePage {
  bars: AlpacaBar[];
  simulated: boolean;
  next: string | null;
}

export interface MinuteSource {
  provider: "alpaca" | "yahoo";
  /** Raw dataset name, e.g. `bars_1min`. */
  dataset: string;
  /** What distinguishes this source's data in a run's identity (provider, and feed where it has one). */
  key: string;
  /** The reply for the page at `cursor` (null: the window's first page). */
  fetch(symbol: string, window: MinuteWindow, cursor: string | null): Promise<RawResponse>;
  /** Throws ProviderError for an error reply. */
  parse(reply: RawResponse, symbol: string, window: MinuteWindow, cursor: string | null): MinutePage;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

export function alpacaMinuteSource(
  { feed = "iex", pageSize = 10_000, ...client }: {
    baseUrl: string;
    keyId?: string;
    secret?: string;
    fetch?: Fetch;
    timeoutMs?: number;
    /** IEX is free; SIP needs a paid subscription. */
    feed?: "iex" | "sip";
    /** Bars per page (Alpaca allows up to 10,000). */
    pageSize?: number;
  },
): MinuteSource {
  const alpaca = createAlpacaClient(client);
  return {
    provider: "alpaca",
    dataset: "bars_1min",
    key: `alpaca:${feed}`,
    fetch: (symbol, window, cursor) =>
      alpaca.bars(providerSymbol(symbol, "alpaca"), {
        timeframe: "1Min",
        start: iso(window.start),
        end: iso(window.end),
        limit: pageSize,
        feed,
        adjustment: "raw",
      }, cursor ?? undefined),
    parse(reply) {
      const page = parseBarsPage(reply);
      return { bars: Object.values(page.bars).flat(), simulated: page.simulated, next: page.nextPageToken };
    },
  };
}

/** Seconds of 1m bars one Yahoo request may span. */
const YAHOO_SLICE_S = 7 * 86_400;

/** The slice of `window` a Yahoo cursor names: `[period1, period2)` in unix seconds. */
function yahooSlice(window: MinuteWindow, cursor: string | null): { period1: number; period2: number } {
  const period1 = cursor === null ? Math.floor(window.start / 1000) : Number(cursor);
  return { period1, period2: Math.min(period1 + YAHOO_SLICE_S, Math.floor(window.end / 1000) + 1) };
}

export function yahooMinuteSource({ baseUrl, fetch, timeoutMs }: {
  baseUrl: string;
  fetch?: Fetch;
  timeoutMs?: number;
}): MinuteSource {
  const yahoo = createYahooClient({ baseUrl, fetch, timeoutMs });
  return {
    provider: "yahoo",
    dataset: "chart_1m",
    key: "yahoo",
    fetch: (symbol, window, cursor) =>
      yahoo.fetchChart(providerSymbol(symbol, "yahoo"), {
        ...yahooSlice(window, cursor),
        interval: "1m",
        // Pre- and post-market bars too, as Alpaca's feeds carry them.
        includePrePost: true,
      }),
    parse(reply, symbol, window, cursor) {
      // Yahoo's 4xx replies carry a chart.error worth reading (the 30-day and 7-day limits).
      if (reply.status >= 500 || reply.status === 429) {
        throw statusError("yahoo", reply, `fetch 1m bars for '${symbol}'`);
      }
      const chart = parseChartBody(reply.body, symbol);
      const slice = yahooSlice(window, cursor);
      const { bars } = toMinuteBars(chart, slice);
      return {
        bars: bars.map((b) => ({ t: iso(b.ts), o: b.open, h: b.high, l: b.low, c: b.close, v: b.volume })),
        simulated: chart.chart.result?.[0]?.meta.ticklake !== undefined,
        next: slice.period2 * 1000 <= window.end ? String(slice.period2) : null,
      };
    },
  };
}

/**
 * Minute-bar sources in failover order: Alpaca when its keys are set (it answers 403 without
 * them), then Yahoo, which needs no key but keeps only the last 30 days.
 */
export function minuteSources(config: Config, feed: "iex" | "sip" = "iex"): MinuteSource[] {
  const yahoo = yahooMinuteSource({ baseUrl: config.providers.yahoo });
  const { alpacaKeyId: keyId, alpacaSecret: secret } = config.keys;
  if (!keyId || !secret) return [yahoo];
  return [alpacaMinuteSource({ baseUrl: config.providers.alpacaData, keyId, secret, feed }), yahoo];
}
