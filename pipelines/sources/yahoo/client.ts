/**
 * Yahoo chart API client. It returns replies verbatim (the raw layer stores them first); parsing
 * is a separate, pure step.
 * @module
 */
import { type Fetch, getRaw, ProviderError, type RawResponse } from "../http.ts";
import { type YahooChart, YahooChartSchema } from "./wire.ts";

export interface ChartQuery {
  period1: number;
  period2: number;
  interval: "1d" | "1m";
  includePrePost?: boolean;
}

export interface YahooClient {
  /** GET /v8/finance/chart/{symbol} with `symbol` in Yahoo's spelling (BRK-B). */
  fetchChart(symbol: string, q: ChartQuery): Promise<RawResponse>;
}

/**
 * Yahoo's edge answers 429 "Too Many Requests" at once to clients that do not look like a
 * browser (Deno's own `Deno/2.x`, curl, python-requests), so requests carry a browser's.
 */
export const BROWSER_USER_AGENT =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36";

export function createYahooClient(
  { baseUrl, fetch, timeoutMs, now, userAgent = BROWSER_USER_AGENT }: {
    baseUrl: string;
    fetch?: Fetch;
    timeoutMs?: number;
    now?: () => Date;
    /** Sent as `User-Agent` (`TICKLAKE_YAHOO_USER_AGENT`). */
    userAgent?: string;
  },
): YahooClient {
  return {
    fetchChart(symbol, q) {
      const params = new URLSearchParams({
        period1: String(Math.floor(q.period1)),
        period2: String(Math.floor(q.period2)),
        interval: q.interval,
        events: "div|split",
        includeAdjustedClose: "true",
      });
      if (q.includePrePost) params.set("includePrePost", "true");
      const url = `${baseUrl}/v8/finance/chart/${encodeURIComponent(symbol)}?${params}`;
      return getRaw({ provider: "yahoo", url, headers: { "user-agent": userAgent }, fetch, timeoutMs, now });
    },
  };
}

const TERMINAL_ERRORS: Record<string, string> = {
  "Not Found": "not_found",
  "Bad Request": "bad_request",
  "Unprocessable Entity": "unprocessable",
};

/**
 * Parse and validate a chart reply. Throws {@linkcode ProviderError}: `malformed` for anything
 * that is not the chart shape (HTML pages, truncated JSON), `not_found` for Yahoo's "No data
 * found", `bad_request` and `unprocessable` (terminal), and a retriable error for other `chart.error`s.
 */
export function parseChartBody(body: Uint8Array, symbol: string): YahooChart {
  const text = new TextDecoder().decode(body);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ProviderError(
      `Cannot parse Yahoo chart for '${symbol}': not JSON (${text.slice(0, 40).replace(/\s+/g, " ")}...)`,
      { provider: "yahoo", status: 200, retriable: false, reason: "malformed", cause: e },
    );
  }
  const parsed = YahooChartSchema.safeParse(json);
  if (!parsed.success) {
    throw new ProviderError(
      `Cannot parse Yahoo chart for '${symbol}': ${parsed.error.issues[0]?.message} at ${
        parsed.error.issues[0]?.path.join(".")
      }`,
      {
        provider: "yahoo",
        status: 200,
        retriable: false,
        reason: "malformed",
        cause: parsed.error,
      },
    );
  }
  const err = parsed.data.chart.error;
  if (err) {
    // These say the request cannot be served (1m bars past 30 days, say): asking again will not help.
    const terminal = TERMINAL_ERRORS[err.code];
    throw new ProviderError(`Cannot fetch Yahoo chart for '${symbol}': ${err.code}: ${err.description ?? ""}`, {
      provider: "yahoo",
      status: err.code === "Not Found" ? 404 : err.code === "Unprocessable Entity" ? 422 : 200,
      retriable: !terminal,
      reason: terminal ?? "provider_error",
    });
  }
  if (!parsed.data.chart.result?.length) {
    throw new ProviderError(`Cannot parse Yahoo chart for '${symbol}': no result and no error`, {
      provider: "yahoo",
      status: 200,
      retriable: false,
      reason: "malformed",
    });
  }
  return parsed.data;
}
