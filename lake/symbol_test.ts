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

Deno.test("providerSymbol() spells class shares with a dash for Yahoo", () => {
  assert.equal(providerSymbol("BRK.B", "yahoo"), "BRK-B");
  assert.equal(providerSymbol("BRK.B", "alpaca"), "BRK.B");
});
