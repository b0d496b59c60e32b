/**
 * Canonical ticker symbols. Class shares and suffixes use a dot (`BRK.B`), whatever the source
 * spelled (`BRK-B` at Yahoo and SEC, `BRK/B` in some feeds). Anything else is rejected before it
 * can reach a URL or a lake key.
 * @module
 */

/** Letters and digits, optionally followed by dot-separated suffixes: `AAPL`, `BRK.B`, `ABR.PR.D`. */
const CANONICAL = /^[A-Z0-9]{1,10}(?:\.[A-Z0-9]{1,4}){0,2}$/;

/** Input was not a usable symbol; the message says why. */
export class SymbolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SymbolError";
  }
}

/**
 * Normalise a user- or provider-supplied symbol to its canonical form, or throw {@linkcode SymbolError}.
 *
 * A slash is path-like, so it is refused in user input (`a/b`) and accepted only from provider
 * data that spells class shares that way (`{ fromProvider: true }`).
 *
 * @example Class shares from any spelling
 * ```ts
 * import { canonicalSymbol } from "./symbol.ts";
 * for (const s of ["BRK.B", "brk-b", " BRK B "]) {
 *   if (canonicalSymbol(s) !== "BRK.B") throw new Error(s);
 * }
 * if (canonicalSymbol("BRK/B", { fromProvider: true }) !== "BRK.B") throw new Error();
 * ```
 */
export function canonicalSymbol(input: string, { fromProvider = false } = {}): string {
  if (typeof input !== "string") throw new SymbolError(`Cannot use symbol ${String(input)}: it is not a string`);
  const trimmed = input.trim().toUpperCase();
  if (trimmed === "") throw new SymbolError("Cannot use an empty symbol");
  if (trimmed.length > 16) {
    throw new SymbolError(`Cannot use symbol '${input.slice(0, 20)}…': longer than 16 characters`);
  }
  if (
    trimmed.includes("..") || trimmed.startsWith(".") || trimmed.includes("\\") ||
    (trimmed.includes("/") && !fromProvider) || trimmed.split("/").length > 2
  ) {
    throw new SymbolError(`Cannot use symbol '${input}': it looks like a path`);
  }
  const s = trimmed.replace(/[-/ ]/g, ".");
  if (!CANONICAL.test(s)) {
    throw new SymbolError(`Cannot use symbol '${input}': expected letters and digits with optional '.X' class suffix`);
  }
  return s;
}

/**
 * The distinct canonical symbols of a list of user spellings, in first-seen order; any hostile
 * one throws as {@linkcode canonicalSymbol} does.
 *
 * @example
 * ```ts
 * import { canonicalSymbols } from "./symbol.ts";
 * if (canonicalSymbols(["msft", "BRK-B", "MSFT"]).join() !== "MSFT,BRK.B") throw new Error();
 * ```
 */
export function canonicalSymbols(inputs: string[]): string[] {
  return [...new Set(inputs.map((s) => canonicalSymbol(s)))];
}

/** Yahoo's and Alpha Vantage's spellings of the ACT suffixes a canonical symbol keeps (`AACT.U`, `AACT.W`, `SPE.R`). */
const SUFFIXES: Record<"yahoo" | "alphavantage", Record<string, string>> = {
  yahoo: { U: "UN", W: "WT", WS: "WT", R: "RT", RT: "RT" },
  alphavantage: { U: "U", W: "WS", WS: "WS", R: "R", RT: "R" },
};

/**
 * How each provider spells a canonical symbol in its requests. Class shares take a dash at Yahoo,
 * Alpha Vantage and SEC (`BRK-B`); a preferred is `ABR-PD` at Yahoo and `ABR-P-D` at Alpha
 * Vantage; a unit, warrant or right `AACT-UN`, `AACT-WT`, `SPE-RT` at Yahoo. Alpaca keeps the dot.
 *
 * @example
 * ```ts
 * import { providerSymbol } from "./symbol.ts";
 * if (providerSymbol("ABR.PR.D", "yahoo") !== "ABR-PD" || providerSymbol("BRK.B", "sec") !== "BRK-B") throw new Error();
 * ```
 */
export function providerSymbol(canonical: string, provider: "yahoo" | "alphavantage" | "alpaca" | "sec"): string {
  if (provider === "alpaca") return canonical;
  if (provider === "sec") return canonical.replaceAll(".", "-");
  const [root, ...rest] = canonical.split(".");
  if (rest[0] === "PR") {
    const series = rest[1] ?? "";
    return provider === "yahoo" ? `${root}-P${series}` : `${root}-P${series && `-${series}`}`;
  }
  const suffix = rest.length === 1 ? SUFFIXES[provider][rest[0]] : undefined;
  return suffix ? `${root}-${suffix}` : canonical.replaceAll(".", "-");
}
