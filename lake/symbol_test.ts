import assert from "node:assert/strict";
import { canonicalSymbol, providerSymbol, SymbolError } from "./symbol.ts";

Deno.test("canonicalSymbol() maps class-share spellings to the dot form", () => {
  assert.equal(canonicalSymbol("BRK-B"), "BRK.B");
  assert.equal(canonicalSymbol("BRK/B", { fromProvider: true }), "BRK.B");
  assert.equal(canonicalSymbol("aapl"), "AAPL");
});

Deno.test("canonicalSymbol() rejects hostile and malformed input with SymbolError", () => {
  for (
    const bad of [
      "../x",
      "a/b",
      "BRK/B",
      "a/b/c",
      "",
      "   ",
      "A".repeat(50),
      "..",
      ".A",
      "A..B",
      "A\\B",
      "A;DROP",
      "A B C D",
      "%2e%2e",
    ]
  ) {
    assert.throws(() => canonicalSymbol(bad), SymbolError, bad);
  }
});

Deno.test("providerSymbol() spells class shares with a dash for Yahoo", () => {
  assert.equal(providerSymbol("BRK.B", "yahoo"), "BRK-B");
  assert.equal(providerSymbol("BRK.B", "alpaca"), "BRK.B");
});
