/**
 * Minute-bar sources for the ingest job: each wires a provider client to its paging and parser.
 * Alpaca pages by its opaque token; Yahoo serves at most 7 days of 1m bars a request, and only
 * for the last 30 days, so its pages are 7-day slices of the window.
 * @module
 */
import { type Config, yahooConnection } from "../../config.ts";
import { isoSeconds } from "../../lake/schemas/columns.ts";
import { providerSymbol } from "../../lake/symbol.ts";
import { createAlpacaClient, parseBarsPage } from "../sources/alpaca/client.ts";
import type { AlpacaBar } from "../sources/alpaca/client.ts";
import { type Fetch, ProviderError, type RawResponse, statusError } from "../sources/http.ts";
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
  /** Set on a window's first page when the provider has nothing before this time (epoch ms). */
  availableFrom?: number;
}

export interface MinuteSource {
  provider: "alpaca" | "yahoo";
  /** Raw dataset name, e.g. `bars_1min`. */
  dataset: string;
  /** What distinguishes this source's data in a run's identity (provider, and feed where it has one). */
  key: string;
  /** The `source` its rows carry: `alpaca_iex`, `alpaca_sip` or `yahoo`. */
  label: string;
  /** The reply for the page at `cursor` (null: the window's first page). */
  fetch(symbol: string, window: MinuteWindow, cursor: string | null): Promise<RawResponse>;
  /** Throws ProviderError for an error reply. */
  parse(reply: RawResponse, symbol: string, window: MinuteWindow, cursor: string | null): MinutePage;
}

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
    label: `alpaca_${feed}`,
    fetch: (symbol, window, cursor) =>
      alpaca.bars(providerSymbol(symbol, "alpaca"), {
        timeframe: "1Min",
        start: isoSeconds(window.start),
        end: isoSeconds(window.end),
        limit: pageSize,
        feed,
        adjustment: "raw",
      }, cursor ?? undefined),
    parse(reply) {
      const page = parseBarsPage(reply);
      const bars = finishedMinutes(Object.values(page.bars).flat(), reply.fetchedAt);
      return { bars, simulated: page.simulated, next: page.nextPageToken };
    },
  };
}

/**
 * The bars whose minute had ended when the page was fetched. The minute under way comes as the
 * trades so far (Yahoo sends it; it would look final); the next run's fetch brings it whole.
 */
function finishedMinutes(bars: AlpacaBar[], fetchedAt: Date): AlpacaBar[] {
  const last = fetchedAt.getTime() - 60_000;
  // A minute of an earlier UTC day than the fetch's has ended: only the rest need their time parsed.
  const day = fetchedAt.toISOString().slice(0, 10);
  const done = bars.filter((b) => b.t < day || Date.parse(b.t) <= last);
  return done.length === bars.length ? bars : done;
}

/** Seconds of 1m bars one Yahoo request may span. */
const YAHOO_SLICE_S = 7 * 86_400;
/** Days of 1m bars Yahoo keeps. */
const YAHOO_1M_DAYS = 30;
/** Kept off the horizon's edge, in case our clock runs ahead of Yahoo's. */
const HORIZON_MARGIN_S = 600;

/** The `[period1, period2)` a Yahoo reply answered, in unix seconds, read from its request URL. */
function answeredSlice(reply: RawResponse): { period1: number; period2: number } {
  const q = new URL(reply.url).searchParams;
  return { period1: Number(q.get("period1")), period2: Number(q.get("period2")) };
}

/**
 * Yahoo 1m bars. A window reaching back past Yahoo's 30 days starts at that horizon (the page
 * says so in `availableFrom`); a window wholly before it fails without a request.
 */
export function yahooMinuteSource({ baseUrl, fetch, timeoutMs, now = () => new Date(), userAgent }: {
  baseUrl: string;
  fetch?: Fetch;
  timeoutMs?: number;
  now?: () => Date;
  userAgent?: string;
}): MinuteSource {
  const yahoo = createYahooClient({ baseUrl, fetch, timeoutMs, now, userAgent });
  return {
    provider: "yahoo",
    dataset: "chart_1m",
    key: "yahoo",
    label: "yahoo",
    fetch(symbol, window, cursor) {
      const horizon = Math.floor(now().getTime() / 1000) - YAHOO_1M_DAYS * 86_400 + HORIZON_MARGIN_S;
      const period1 = cursor === null ? Math.max(Math.floor(window.start / 1000), horizon) : Number(cursor);
      const end = Math.floor(window.end / 1000) + 1;
      if (period1 >= end) {
        throw new ProviderError(
          `Cannot fetch 1m bars for '${symbol}' from Yahoo: it keeps the last ${YAHOO_1M_DAYS} days, and ` +
            `${isoSeconds(window.start)}..${isoSeconds(window.end)} ends before ${isoSeconds(horizon * 1000)} ` +
            "(Alpaca serves older minutes: set APCA_API_KEY_ID and APCA_API_SECRET_KEY)",
          { provider: "yahoo", status: 0, retriable: false, reason: "unavailable" },
        );
      }
      return yahoo.fetchChart(providerSymbol(symbol, "yahoo"), {
        period1,
        period2: Math.min(period1 + YAHOO_SLICE_S, end),
        interval: "1m",
        // Pre- and post-market bars too, as Alpaca's feeds carry them.
        includePrePost: true,
      });
    },
    parse(reply, symbol, window, cursor) {
      // Yahoo's 4xx replies carry a chart.error worth reading (the 30-day and 7-day limits).
      if (reply.status >= 500 || reply.status === 429) {
        throw statusError("yahoo", reply, `fetch 1m bars for '${symbol}'`);
      }
      const chart = parseChartBody(reply.body, symbol);
      const slice = answeredSlice(reply);
      const { bars } = toMinuteBars(chart, slice);
      return {
        bars: finishedMinutes(
          bars.map((b) => ({ t: isoSeconds(b.ts), o: b.open, h: b.high, l: b.low, c: b.close, v: b.volume })),
          reply.fetchedAt,
        ),
        simulated: chart.chart.result?.[0]?.meta.ticklake !== undefined,
        next: slice.period2 * 1000 <= window.end ? String(slice.period2) : null,
        availableFrom: cursor === null && slice.period1 * 1000 > window.start ? slice.period1 * 1000 : undefined,
      };
    },
  };
}

/**
 * Minute-bar sources in failover order: Alpaca when its keys are set (it answers 403 without
 * them), then Yahoo, which needs no key but keeps only the last 30 days.
 */
export function minuteSources(config: Config, feed: "iex" | "sip" = "iex"): MinuteSource[] {
  const yahoo = yahooMinuteSource(yahooConnection(config.providers));
  const { alpacaKeyId: keyId, alpacaSecret: secret } = config.keys;
  if (!keyId || !secret) return [yahoo];
  return [alpacaMinuteSource({ baseUrl: config.providers.alpacaData, keyId, secret, feed }), yahoo];
}
