/**
 * Alpha Vantage client and parsers: TIME_SERIES_DAILY_ADJUSTED (CSV or JSON), LISTING_STATUS and
 * FX_DAILY. Soft errors arrive as HTTP 200 with a `Note`, `Information` or `Error Message` key:
 * the burst and per-minute limits are retriable, the daily limit and a premium endpoint are not,
 * and none of them is ever read as data.
 * @module
 */
import { z } from "zod";
import { type Batch, roundPrice } from "../../../lake/schemas/columns.ts";
import { type Fetch, getRaw, ProviderError, type RawResponse, statusError } from "../http.ts";
import { closedSessionsOnly } from "../closed_sessions.ts";
import { providerSymbol } from "../../../lake/symbol.ts";

export function createAlphaVantageClient(
  { baseUrl, apiKey, fetch, timeoutMs }: { baseUrl: string; apiKey?: string; fetch?: Fetch; timeoutMs?: number },
) {
  const call = (params: Record<string, string>) => {
    const q = new URLSearchParams({ ...params, apikey: apiKey ?? "demo" });
    return getRaw({ provider: "alphavantage", url: `${baseUrl}/query?${q}`, fetch, timeoutMs });
  };
  return {
    dailyAdjusted: (
      symbol: string,
      { outputsize = "full", datatype = "csv" }: { outputsize?: "full" | "compact"; datatype?: "csv" | "json" } = {},
    ) => call({ function: "TIME_SERIES_DAILY_ADJUSTED", symbol, outputsize, datatype }),
    listingStatus: (state: "active" | "delisted" = "active") => call({ function: "LISTING_STATUS", state }),
    fxDaily: (from: string, to: string) =>
      call({ function: "FX_DAILY", from_symbol: from, to_symbol: to, outputsize: "full" }),
  };
}

/** Throw the ProviderError an Alpha Vantage soft-error body means; return quietly for data. */
export function throwIfSoftError(text: string, what: string): void {
  const head = text.trimStart();
  if (!head.startsWith("{")) return;
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(head);
  } catch {
    return;
  }
  const message = (json["Note"] ?? json["Information"] ?? json["Error Message"]) as string | undefined;
  if (typeof message !== "string") return;
  const base = { provider: "alphavantage", status: 200 };
  // The demo key ("The **demo** API key is for demo purposes only. Please claim your free API
  // key ...") and a wrong one ("the parameter apikey is invalid or missing"): no retry helps.
  // (The daily-limit message names the key too: "We have detected your API key as ...".)
  if (/demo purposes|apikey is invalid|invalid or missing/i.test(message)) {
    throw new ProviderError(
      `Cannot ${what}: Alpha Vantage refused the key (${message.slice(0, 80)}): set ALPHAVANTAGE_API_KEY to your own`,
      { ...base, retriable: false, reason: "unauthorized" },
    );
  }
  if (json["Error Message"]) {
    throw new ProviderError(`Cannot ${what}: Alpha Vantage said: ${message}`, {
      ...base,
      retriable: false,
      reason: "bad_request",
    });
  }
  // "This is a premium endpoint"; the rate-limit messages also offer to "unlock all premium endpoints".
  if (/is a premium endpoint/i.test(message)) {
    throw new ProviderError(`Cannot ${what}: a premium endpoint`, { ...base, retriable: false, reason: "premium" });
  }
  // The burst ("1 request per second", a message that also names the 25 a day) and per-minute
  // limits are worth a retry shortly; the daily one is not: no call with this key succeeds today.
  const burst = /per second|sparingly/i.test(message), perMinute = /per minute/i.test(message);
  if (burst || perMinute || !/per day/i.test(message)) {
    const which = burst ? "burst" : perMinute ? "per minute" : message.slice(0, 80);
    throw new ProviderError(`Cannot ${what}: rate limited by Alpha Vantage (${which})`, {
      ...base,
      retriable: true,
      reason: "rate_limited",
      retryAfterS: burst ? 2 : 60,
    });
  }
  throw new ProviderError(`Cannot ${what}: Alpha Vantage's daily limit for this key is spent`, {
    ...base,
    retriable: false,
    reason: "quota_exhausted",
  });
}

const num = (s: string | undefined) => (s === undefined || s === "" || s === "null" ? NaN : Number(s));

/** Split coefficients carry float noise (7.00000700001): snap to the nearest 1/1000. */
export function cleanSplit(coefficient: number): number {
  if (!(coefficient > 0)) return 1;
  const snapped = Math.round(coefficient * 1000) / 1000;
  return Math.abs(snapped - coefficient) / coefficient < 1e-5 ? snapped : coefficient;
}

interface DailyRow {
  day: number;
  open: number;
  high: number;
  low: number;
  close: number;
  adj: number;
  volume: number;
  dividend: number;
  split: number;
}

function toBatch(
  rows: DailyRow[],
  symbol: string,
  range: { fromDay: number; toDay: number },
): { batch: Batch; warnings: string[] } {
  const warnings: string[] = [];
  const kept = rows.filter((r) => r.day >= range.fromDay && r.day <= range.toDay).sort((a, b) => a.day - b.day);
  const out = kept.filter((r, i) => {
    if (i > 0 && kept[i - 1].day === r.day) return warnings.push(`duplicate day ${r.day}`), false;
    if ([r.open, r.high, r.low, r.close, r.volume].some((v) => !Number.isFinite(v))) {
      return warnings.push(`null field on ${new Date(r.day * 86_400_000).toISOString().slice(0, 10)}: dropped`), false;
    }
    return true;
  });
  for (let i = 1; i < out.length; i++) {
    // A "dividend" worth more than half the price is a stock distribution (GOOG's 2014 class-C
    // issue), not cash: keeping it would wreck every return series through that day.
    if (out[i].dividend > 0.5 * out[i - 1].close) {
      warnings.push(
        `dividend ${out[i].dividend} on day ${
          out[i].day
        } exceeds half the previous close: treated as a stock distribution, not cash`,
      );
      out[i] = { ...out[i], dividend: 0 };
    }
  }
  const n = out.length;
  const f = (k: keyof DailyRow, round = roundPrice) => Float64Array.from(out, (r) => round(r[k]));
  return {
    batch: {
      length: n,
      columns: {
        symbol: new Array(n).fill(symbol),
        date: Float64Array.from(out, (r) => r.day),
        open: f("open"),
        high: f("high"),
        low: f("low"),
        close: f("close"),
        adj_close: Float64Array.from(out, (r) => roundPrice(Number.isFinite(r.adj) ? r.adj : r.close)),
        volume: f("volume", Math.round),
        dividend: f("dividend", (x) => Math.round((Number.isFinite(x) ? x : 0) * 1e6) / 1e6),
        split_ratio: Float64Array.from(out, (r) => cleanSplit(r.split)),
        source: new Array(n).fill("alphavantage"),
      },
    },
    warnings,
  };
}

const HEADER = "timestamp,open,high,low,close,adjusted_close,volume,dividend_amount,split_coefficient";

/** Parse TIME_SERIES_DAILY_ADJUSTED as CSV (newest first, CRLF). Prices are as traded. */
export function parseDailyAdjustedCsv(text: string, symbol: string, range: { fromDay: number; toDay: number }) {
  throwIfSoftError(text, `read daily bars for '${symbol}'`);
  const lines = text.split(/\r?\n/).filter((l) => l);
  if (lines[0] !== HEADER) {
    throw new ProviderError(
      `Cannot parse Alpha Vantage CSV for '${symbol}': unexpected header '${lines[0]?.slice(0, 60)}'`,
      {
        provider: "alphavantage",
        status: 200,
        retriable: false,
        reason: "malformed",
      },
    );
  }
  const rows: DailyRow[] = lines.slice(1).map((line) => {
    const f = line.split(",");
    if (f.length !== 9 || !/^\d{4}-\d{2}-\d{2}$/.test(f[0])) {
      throw new ProviderError(`Cannot parse Alpha Vantage CSV for '${symbol}': bad row '${line.slice(0, 60)}'`, {
        provider: "alphavantage",
        status: 200,
        retriable: false,
        reason: "malformed",
      });
    }
    return {
      day: Date.parse(`${f[0]}T00:00:00Z`) / 86_400_000,
      open: num(f[1]),
      high: num(f[2]),
      low: num(f[3]),
      close: num(f[4]),
      adj: num(f[5]),
      volume: num(f[6]),
      dividend: num(f[7]),
      split: num(f[8]),
    };
  });
  return toBatch(rows, symbol, range);
}

const DailyJsonSchema = z.object({
  "Meta Data": z.record(z.string(), z.string()),
  "Time Series (Daily)": z.record(z.string().regex(/^\d{4}-\d{2}-\d{2}$/), z.record(z.string(), z.string())),
});

/** Parse TIME_SERIES_DAILY_ADJUSTED as JSON ("1. open" ... "8. split coefficient"). */
export function parseDailyAdjustedJson(text: string, symbol: string, range: { fromDay: number; toDay: number }) {
  throwIfSoftError(text, `read daily bars for '${symbol}'`);
  let parsed;
  try {
    parsed = DailyJsonSchema.parse(JSON.parse(text));
  } catch (e) {
    throw new ProviderError(`Cannot parse Alpha Vantage JSON for '${symbol}': ${(e as Error).message.slice(0, 120)}`, {
      provider: "alphavantage",
      status: 200,
      retriable: false,
      reason: "malformed",
      cause: e,
    });
  }
  const rows = Object.entries(parsed["Time Series (Daily)"]).map(([date, v]) => ({
    day: Date.parse(`${date}T00:00:00Z`) / 86_400_000,
    open: num(v["1. open"]),
    high: num(v["2. high"]),
    low: num(v["3. low"]),
    close: num(v["4. close"]),
    adj: num(v["5. adjusted close"]),
    volume: num(v["6. volume"]),
    dividend: num(v["7. dividend amount"]),
    split: num(v["8. split coefficient"]),
  }));
  return toBatch(rows, symbol, range);
}

export interface ListingStatusRow {
  symbol: string;
  name: string;
  exchange: string;
  assetType: string;
  ipoDate: string | null;
  delistingDate: string | null;
  status: string;
}

/** Parse LISTING_STATUS (active or delisted): CRLF, literal `null` dates, some empty names. */
export function parseListingStatus(text: string): ListingStatusRow[] {
  throwIfSoftError(text, "read LISTING_STATUS");
  const lines = text.split(/\r?\n/).filter((l) => l);
  if (lines[0] !== "symbol,name,exchange,assetType,ipoDate,delistingDate,status") {
    throw new ProviderError("Cannot parse LISTING_STATUS: unexpected header", {
      provider: "alphavantage",
      status: 200,
      retriable: false,
      reason: "malformed",
    });
  }
  return lines.slice(1).map((line) => {
    // Names may contain commas inside quotes.
    const f = line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) =>
      c.replace(/,$/, "").replace(/^"|"$/g, "").replaceAll('""', '"')
    );
    const date = (s: string) => (s && s !== "null" ? s : null);
    return {
      symbol: f[0],
      name: f[1],
      exchange: f[2],
      assetType: f[3],
      ipoDate: date(f[4]),
      delistingDate: date(f[5]),
      status: f[6],
    };
  });
}

const FxSchema = z.object({
  "Meta Data": z.record(z.string(), z.string()),
  "Time Series FX (Daily)": z.record(z.string().regex(/^\d{4}-\d{2}-\d{2}$/), z.record(z.string(), z.string())),
});

export interface FxRow {
  date: string;
  from: string;
  to: string;
  open: number;
  high: number;
  low: number;
  close: number;
}

/** Parse FX_DAILY into rows for the USD rate table, oldest first. */
export function parseFxDaily(text: string): FxRow[] {
  throwIfSoftError(text, "read FX_DAILY");
  const parsed = FxSchema.safeParse((() => {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  })());
  if (!parsed.success) {
    throw new ProviderError("Cannot parse FX_DAILY: not the documented shape", {
      provider: "alphavantage",
      status: 200,
      retriable: false,
      reason: "malformed",
    });
  }
  const meta = parsed.data["Meta Data"];
  const from = meta["2. From Symbol"], to = meta["3. To Symbol"];
  return Object.entries(parsed.data["Time Series FX (Daily)"])
    .map(([date, v]) => ({
      date,
      from,
      to,
      open: num(v["1. open"]),
      high: num(v["2. high"]),
      low: num(v["3. low"]),
      close: num(v["4. close"]),
    }))
    .filter((r) => Number.isFinite(r.close))
    .sort((a, b) => (a.date < b.date ? -1 : 1));
}

/** Adapter for the ingest job: Alpha Vantage daily bars as a failover source. */
export function alphaVantageDailySource(client: ReturnType<typeof createAlphaVantageClient>) {
  return {
    provider: "alphavantage" as const,
    dataset: "daily_adjusted",
    fetch: (symbol: string) =>
      client.dailyAdjusted(providerSymbol(symbol, "alphavantage"), { outputsize: "full", datatype: "csv" }),
    parse: parseAlphaVantageDaily,
  };
}

/**
 * Alpha Vantage's parse step alone: a stored daily-adjusted CSV reply -> daily bars of the sessions
 * closed when it was fetched.
 */
export function parseAlphaVantageDaily(reply: RawResponse, symbol: string, range: { fromDay: number; toDay: number }) {
  if (reply.status !== 200) {
    throw statusError("alphavantage", reply, `fetch Alpha Vantage daily bars for '${symbol}'`, `HTTP ${reply.status}`);
  }
  return closedSessionsOnly(
    parseDailyAdjustedCsv(new TextDecoder().decode(reply.body), symbol, range),
    reply.fetchedAt,
  );
}
