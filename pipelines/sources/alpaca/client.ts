/**
 * Alpaca market data v2 stock bars: the single-symbol (`/v2/stocks/{symbol}/bars`) and the
 * multi-symbol (`/v2/stocks/bars?symbols=`) shapes, paged by an opaque `next_page_token`. Keys go
 * in headers, never in the URL. Error 42210000 (subscription) is terminal.
 * @module
 */
import { z } from "zod";
import { newYorkOffsetHours } from "../../../lake/calendar.ts";
import { type Fetch, getRaw, ProviderError, type RawResponse, statusError } from "../http.ts";

export interface BarsQuery {
  timeframe: "1Min" | "5Min" | "15Min" | "1Hour" | "1Day";
  start?: string;
  end?: string;
  limit?: number;
  feed?: "iex" | "sip";
  adjustment?: "raw" | "split" | "dividend" | "all";
  sort?: "asc" | "desc";
}

const BarSchema = z.object({
  t: z.iso.datetime(),
  o: z.number(),
  h: z.number(),
  l: z.number(),
  c: z.number(),
  v: z.number().nonnegative(),
  n: z.number().optional(),
  vw: z.number().optional(),
});
export type AlpacaBar = z.infer<typeof BarSchema>;

const PageSchema = z.object({
  bars: z.union([z.array(BarSchema), z.record(z.string(), z.array(BarSchema))]).nullable(),
  symbol: z.string().optional(),
  next_page_token: z.string().nullable().optional(),
  /** Added only by Ticklake's offline replay server, whose bars are simulated. */
  ticklake: z.object({ simulated: z.boolean() }).optional(),
});

export function createAlpacaClient(
  { baseUrl, keyId, secret, fetch, timeoutMs }: {
    baseUrl: string;
    keyId?: string;
    secret?: string;
    fetch?: Fetch;
    timeoutMs?: number;
  },
) {
  const headers: Record<string, string> = keyId && secret
    ? { "APCA-API-KEY-ID": keyId, "APCA-API-SECRET-KEY": secret }
    : {};
  const params = (q: BarsQuery, pageToken?: string) => {
    const p = new URLSearchParams({ timeframe: q.timeframe });
    for (const k of ["start", "end", "feed", "adjustment", "sort"] as const) if (q[k]) p.set(k, q[k]!);
    if (q.limit) p.set("limit", String(q.limit));
    if (pageToken) p.set("page_token", pageToken); // opaque: passed back exactly as received
    return p;
  };
  const get = (path: string, q: BarsQuery, pageToken?: string) =>
    getRaw({ provider: "alpaca", url: `${baseUrl}${path}?${params(q, pageToken)}`, headers, fetch, timeoutMs });
  return {
    bars: (symbol: string, q: BarsQuery, pageToken?: string) =>
      get(`/v2/stocks/${encodeURIComponent(symbol)}/bars`, q, pageToken),
    multiBars: (symbols: string[], q: BarsQuery, pageToken?: string) =>
      getRaw({
        provider: "alpaca",
        url: `${baseUrl}/v2/stocks/bars?${new URLSearchParams({ symbols: symbols.join(",") })}&${params(q, pageToken)}`,
        headers,
        fetch,
        timeoutMs,
      }),
  };
}

/** Follow `next_page_token` until the last page; every page is its own raw reply. */
export async function fetchAllPages(
  fetchPage: (token?: string) => Promise<RawResponse>,
  { maxPages = 1000 } = {},
): Promise<RawResponse[]> {
  const pages: RawResponse[] = [];
  let token: string | undefined;
  do {
    const reply = await fetchPage(token);
    pages.push(reply);
    token = reply.status === 200 ? parseBarsPage(reply).nextPageToken ?? undefined : undefined;
  } while (token && pages.length < maxPages);
  return pages;
}

/** Parse one page into bars per symbol; throws ProviderError for error replies. */
export function parseBarsPage(
  reply: RawResponse,
): { bars: Record<string, AlpacaBar[]>; nextPageToken: string | null; simulated: boolean } {
  const text = new TextDecoder().decode(reply.body);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ProviderError(`Cannot parse Alpaca bars: not JSON`, {
      provider: "alpaca",
      status: reply.status,
      retriable: false,
      reason: "malformed",
      cause: e,
    });
  }
  if (reply.status !== 200) {
    const code = (json as { code?: number })?.code;
    const message = (json as { message?: string })?.message ?? `HTTP ${reply.status}`;
    if (code === 42210000) {
      throw new ProviderError(`Cannot fetch Alpaca bars: ${message}`, {
        provider: "alpaca",
        status: reply.status,
        retriable: false,
        reason: "subscription",
      });
    }
    if (reply.status === 401 || reply.status === 403) {
      throw new ProviderError(
        `Cannot fetch Alpaca bars: ${message} (HTTP ${reply.status}: check APCA_API_KEY_ID and APCA_API_SECRET_KEY)`,
        { provider: "alpaca", status: reply.status, retriable: false, reason: "unauthorized" },
      );
    }
    throw statusError("alpaca", reply, "fetch Alpaca bars", message);
  }
  const page = PageSchema.safeParse(json);
  if (!page.success) {
    throw new ProviderError(`Cannot parse Alpaca bars: ${page.error.issues[0]?.message}`, {
      provider: "alpaca",
      status: 200,
      retriable: false,
      reason: "malformed",
    });
  }
  const { bars, symbol, next_page_token, ticklake } = page.data;
  const bySymbol = Array.isArray(bars) ? { [symbol ?? ""]: bars } : bars ?? {};
  return { bars: bySymbol, nextPageToken: next_page_token ?? null, simulated: ticklake?.simulated === true };
}

/**
 * The New York trading date of a daily bar: Alpaca stamps them at midnight New York time
 * (04:00Z in summer, 05:00Z in winter).
 */
export function alpacaBarDate(t: string): string {
  const ms = Date.parse(t);
  const offsetH = newYorkOffsetHours(Math.floor(ms / 86_400_000));
  return new Date(ms + offsetH * 3600_000).toISOString().slice(0, 10);
}
