/**
 * SEC's company_tickers.json: ticker -> CIK. SEC requires a User-Agent naming a contact, and
 * several tickers can share one CIK (GOOG, GOOGL).
 * @module
 */
import { z } from "zod";
import { canonicalSymbol } from "../../../lake/symbol.ts";
import { type Fetch, getRaw, ProviderError, type RawResponse } from "../http.ts";

const CompanyTickersSchema = z.record(
  z.string(),
  z.object({ cik_str: z.union([z.number().int(), z.string().regex(/^\d+$/)]), ticker: z.string(), title: z.string() }),
);

export function fetchCompanyTickers(
  { baseUrl, userAgent, fetch, timeoutMs }: { baseUrl: string; userAgent: string; fetch?: Fetch; timeoutMs?: number },
): Promise<RawResponse> {
  if (!userAgent.trim()) throw new TypeError("Cannot call SEC without a User-Agent: set TICKLAKE_SEC_USER_AGENT");
  return getRaw({
    provider: "sec",
    url: `${baseUrl}/files/company_tickers.json`,
    headers: { "user-agent": userAgent },
    fetch,
    timeoutMs,
  });
}

/**
 * Canonical symbol -> zero-padded 10-digit CIK.
 *
 * @example
 * ```ts
 * import { parseCompanyTickers } from "./company_tickers.ts";
 * const m = parseCompanyTickers('{"0":{"cik_str":1067983,"ticker":"BRK-B","title":"BERKSHIRE HATHAWAY INC"}}');
 * if (m.get("BRK.B") !== "0001067983") throw new Error();
 * ```
 */
export function parseCompanyTickers(text: string): Map<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ProviderError("Cannot parse company_tickers.json: not JSON", {
      provider: "sec",
      status: 200,
      retriable: false,
      reason: "malformed",
      cause: e,
    });
  }
  const parsed = CompanyTickersSchema.safeParse(json);
  if (!parsed.success) {
    throw new ProviderError(`Cannot parse company_tickers.json: ${parsed.error.issues[0]?.message}`, {
      provider: "sec",
      status: 200,
      retriable: false,
      reason: "malformed",
      cause: parsed.error,
    });
  }
  const out = new Map<string, string>();
  for (const { cik_str, ticker } of Object.values(parsed.data)) {
    try {
      out.set(canonicalSymbol(ticker, { fromProvider: true }), String(cik_str).padStart(10, "0"));
    } catch { /* a ticker we cannot represent (rare, e.g. odd suffixes) has no row to join */ }
  }
  return out;
}
