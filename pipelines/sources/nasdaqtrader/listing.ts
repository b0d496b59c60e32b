/**
 * The Nasdaq Trader symbol directory (nasdaqlisted.txt, otherlisted.txt): client and parser.
 * Pipe-separated with a header line and a `File Creation Time:` footer; LF or CRLF. Anything
 * else — an HTML error page saved as .txt, a truncated file — is rejected, never half-parsed.
 * @module
 */
import { canonicalSymbol } from "../../../lake/symbol.ts";
import { type Fetch, getRaw, ProviderError, type RawResponse } from "../http.ts";

export type ListingFile = "nasdaqlisted" | "otherlisted";

export interface ListingRow {
  symbol: string;
  name: string;
  exchange: string;
  asset_type: "stock" | "etf" | "preferred" | "warrant" | "right" | "unit" | "other";
  nasdaq_symbol: string | null;
  cqs_symbol: string | null;
}

export interface ParsedListing {
  rows: ListingRow[];
  testIssues: number;
  /** Symbols we could not map to a canonical form, with the reason. */
  skipped: string[];
  createdAt: string;
}

const HEADERS: Record<ListingFile, string> = {
  nasdaqlisted: "Symbol|Security Name|Market Category|Test Issue|Financial Status|Round Lot Size|ETF|NextShares",
  otherlisted: "ACT Symbol|Security Name|Exchange|CQS Symbol|ETF|Round Lot Size|Test Issue|NASDAQ Symbol",
};

const EXCHANGES: Record<string, string> = {
  A: "NYSE American",
  N: "NYSE",
  P: "NYSE Arca",
  Z: "Cboe BZX",
  V: "IEX",
  M: "NYSE Chicago",
};

export function createNasdaqTraderClient(
  { baseUrl, fetch, timeoutMs }: { baseUrl: string; fetch?: Fetch; timeoutMs?: number },
) {
  return {
    fetchListing(file: ListingFile): Promise<RawResponse> {
      return getRaw({ provider: "nasdaqtrader", url: `${baseUrl}/dynamic/SymDir/${file}.txt`, fetch, timeoutMs });
    },
  };
}

function malformed(file: ListingFile, why: string): ProviderError {
  return new ProviderError(`Cannot parse ${file}.txt: ${why}`, {
    provider: "nasdaqtrader",
    status: 200,
    retriable: false,
    reason: "malformed",
  });
}

/** The kind of security a symbol's suffix marks, in the exchanges' symbology ("other": when issued). */
export type SymbolMark = "preferred" | "warrant" | "right" | "unit" | "other" | undefined;

const NASDAQ_FIFTH: Record<string, SymbolMark> = { W: "warrant", R: "right", U: "unit" };
const ACT_SUFFIX: Record<string, SymbolMark> = { W: "warrant", WS: "warrant", R: "right", RT: "right", U: "unit" };

/**
 * What a provider's symbol says of its security: a Nasdaq symbol's fifth letter (W, R, U); an
 * ACT symbol's `$` (preferred) or suffix (`.W`, `.R`, `.U`), or the same in its canonical form
 * (`ABR.PR.D`); Alpha Vantage's dashed forms (`-P-A`, `-WS`, `-R`, `-U`; its `-W` is "when
 * issued", not a warrant, and such a security is no stock yet).
 */
export function symbolMark(symbol: string, style: "nasdaq" | "act" | "dashed"): SymbolMark {
  if (style === "nasdaq") return symbol.length === 5 ? NASDAQ_FIFTH[symbol[4]] : undefined;
  if (style === "act") {
    // `$` in the ACT symbol, `.PR` in the canonical form made of it.
    if (symbol.includes("$") || /\.PR(\.[A-Z]+)?$/.test(symbol)) return "preferred";
    return ACT_SUFFIX[/\.([A-Z]+)$/.exec(symbol)?.[1] ?? ""];
  }
  if (/-P(-|$)/.test(symbol)) return "preferred";
  if (/-WS$/.test(symbol)) return "warrant";
  if (/-RT?(-W)?$/.test(symbol)) return "right";
  if (/-U$/.test(symbol)) return "unit";
  return /-W$/.test(symbol) ? "other" : undefined;
}

/**
 * How a name says it is a warrant (Polestar's "ADS (ADW)": American Depositary Warrants; Alpha
 * Vantage's "Wt"), a right ("Rt") or a unit.
 */
const NAMED: Record<"warrant" | "right" | "unit", RegExp> = {
  warrant: /\bwarrants?\b|\bwts?\b|\bADW\b/i,
  right: /\brights?\b|\brt\b/i,
  unit: /\bunits?\b/i,
};

/**
 * A listing's asset type (the directory has no type column): an ETF flag, else its symbol's mark
 * (a Nasdaq fifth letter only where the name agrees: FTRPR is a preferred), else its name. An ADR
 * is a stock whatever its underlying share ("American Depositary Shares, each representing 2
 * preferred shares"), while "Depositary Shares" alone are a preferred's. A name's "Units" make a
 * unit only with a mark, "each consisting of" or as a hybrid's "Corporate Units", "Tangible Equity
 * Units": partnerships' and trusts' "Common Units" trade as their equity.
 */
export function assetTypeOf(
  name: string,
  etf: boolean,
  mark: SymbolMark,
  { nasdaqMark = false } = {},
): ListingRow["asset_type"] {
  if (etf) return "etf";
  if (mark && (!nasdaqMark || mark === "preferred" || mark === "other" || NAMED[mark].test(name))) return mark;
  if (/\bAmerican Depositary\b/i.test(name)) return "stock";
  if (/\bPreferred\b|\bDepositary Shares\b/i.test(name)) return "preferred";
  if (NAMED.warrant.test(name)) return "warrant";
  if (NAMED.right.test(name)) return "right";
  if (/\bUnits?,? each (consisting|unit consists)\b|\b(Corporate|Corp|Equity|Conv) Units?\b/i.test(name)) return "unit";
  return "stock";
}

/**
 * The canonical form of an ACT (CTA) symbol: `BRK.B` stays, a preferred `ABR$D` becomes
 * `ABR.PR.D`, warrants and units keep their ACT suffix (`AACT.W`, `AACT.U`).
 */
export function canonicalFromAct(act: string): string {
  const pref = /^([A-Z0-9]+)\$([A-Z0-9]*)$/.exec(act);
  return canonicalSymbol(pref ? `${pref[1]}.PR${pref[2] ? `.${pref[2]}` : ""}` : act, { fromProvider: true });
}

/**
 * Parse one directory file.
 *
 * @example
 * ```ts
 * import { parseListing } from "./listing.ts";
 * const text = "Symbol|Security Name|Market Category|Test Issue|Financial Status|Round Lot Size|ETF|NextShares\n" +
 *   "AAPL|Apple Inc. - Common Stock|Q|N|N|100|N|N\nFile Creation Time: 0721202521:31|||||||\n";
 * if (parseListing("nasdaqlisted", text).rows[0].symbol !== "AAPL") throw new Error();
 * ```
 */
export function parseListing(file: ListingFile, text: string): ParsedListing {
  const lines = text.split(/\r?\n/).filter((l) => l !== "");
  if (lines[0] !== HEADERS[file]) {
    const looksHtml = /^\s*</.test(text);
    throw malformed(
      file,
      looksHtml ? "it is an HTML page, not the directory" : `unexpected header '${(lines[0] ?? "").slice(0, 60)}'`,
    );
  }
  const footer = lines[lines.length - 1];
  const created = /^File Creation Time: (\d{10}:\d{2})\|*$/.exec(footer);
  if (!created) throw malformed(file, "no 'File Creation Time' footer: the file is truncated");
  const rows: ListingRow[] = [];
  const skipped: string[] = [];
  let testIssues = 0;
  for (const line of lines.slice(1, -1)) {
    const f = line.split("|");
    if (f.length !== 8) throw malformed(file, `a row has ${f.length} fields instead of 8: '${line.slice(0, 60)}'`);
    const isTest = file === "nasdaqlisted" ? f[3] === "Y" : f[6] === "Y";
    if (isTest) {
      testIssues++;
      continue;
    }
    const name = f[1].trim();
    try {
      if (file === "nasdaqlisted") {
        rows.push({
          symbol: canonicalSymbol(f[0], { fromProvider: true }),
          name,
          exchange: "NASDAQ",
          asset_type: assetTypeOf(name, f[6] === "Y", symbolMark(f[0], "nasdaq"), { nasdaqMark: true }),
          nasdaq_symbol: f[0],
          cqs_symbol: null,
        });
      } else {
        rows.push({
          symbol: canonicalFromAct(f[0]),
          name,
          exchange: EXCHANGES[f[2]] ?? f[2],
          asset_type: assetTypeOf(name, f[4] === "Y", symbolMark(f[0], "act")),
          nasdaq_symbol: f[7] || null,
          cqs_symbol: f[3] || null,
        });
      }
    } catch (e) {
      skipped.push(`${f[0]}: ${(e as Error).message}`);
    }
  }
  const c = created[1];
  return { rows, testIssues, skipped, createdAt: `${c.slice(4, 8)}-${c.slice(0, 2)}-${c.slice(2, 4)}T${c.slice(8)}` };
}
