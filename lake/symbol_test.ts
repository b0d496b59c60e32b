import assert from "node:assert/strict";
import { canonicalSymbol, providerSymbol, SymbolError } from "./symbol.ts";

Deno.test("canonicalSymbol() maps class-share spellings to the dot form", () => {
  assert.equal(canonicalSymbol("BRK-B"), "BRK.B");
  assert.equal(canonicalSymbol("BRK/B", { fromProvider: true }), "BRK.B");
  assert.equal(canonicalSymbol("aapl"), "AAPL");
});

Deno.test("canonicalSymbol() rejects hostile and malformed input with a SymbolError that says why", () => {
  const path = /looks like a path/, shape = /expected letters and digits/;
  const cases: [string, RegExp, { fromProvider?: boolean }?][] = [
    ["../x", path],
    ["a/b", path],
    ["BRK/B", path],
    ["a/b/c", path, { fromProvider: true }],
    ["..", path],
    [".A", path],
    ["A..B", path],
    ["A\\B", path],
    ["", /empty symbol/],
    ["   ", /empty symbol/],
    ["A".repeat(50), /longer than 16 characters/],
    ["A".repeat(11), shape],
    ["A;DROP", shape],
    ["A B C D", shape],
    ["%2e%2e", shape],
  ];
  for (const [bad, why, options] of cases) {
    assert.throws(() => canonicalSymbol(bad, options), (e) => e instanceof SymbolError && why.test(e.message), bad);
  }
});

Deno.test("providerSymbol() spells class shares, preferreds, units, warrants and rights as each provider does", () => {
  const cases: [string, string, string, string][] = [
    // canonical, Yahoo, Alpha Vantage, SEC
    ["AAPL", "AAPL", "AAPL", "AAPL"],
    ["BRK.B", "BRK-B", "BRK-B", "BRK-B"],
    ["ABR.PR.D", "ABR-PD", "ABR-P-D", "ABR-PR-D"],
    ["AA.PR", "AA-P", "AA-P", "AA-PR"],
    ["AACT.U", "AACT-UN", "AACT-U", "AACT-U"],
    ["AACT.W", "AACT-WT", "AACT-WS", "AACT-W"],
    ["SPE.R", "SPE-RT", "SPE-R", "SPE-R"],
    ["BF.B.W", "BF-B-W", "BF-B-W", "BF-B-W"],
  ];
  for (const [canonical, yahoo, av, sec] of cases) {
    assert.deepEqual(
      [providerSymbol(canonical, "yahoo"), providerSymbol(canonical, "alphavantage"), providerSymbol(canonical, "sec")],
      [yahoo, av, sec],
      canonical,
    );
    assert.equal(providerSymbol(canonical, "alpaca"), canonical);
  }
});
