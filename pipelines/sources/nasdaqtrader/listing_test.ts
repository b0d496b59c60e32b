import assert from "node:assert/strict";
import { ProviderError } from "../http.ts";
import { canonicalFromAct, parseListing, symbolMark } from "./listing.ts";

const read = (f: string) => Deno.readTextFile(new URL(`./testdata/${f}`, import.meta.url));

Deno.test("parseListing() reads the 2025 LF files with their footers and test issues", async () => {
  const n = parseListing("nasdaqlisted", await read("nasdaqlisted_2025-07-21.txt"));
  const o = parseListing("otherlisted", await read("otherlisted_2025-07-21.txt"));
  assert.equal(n.createdAt, "2025-07-21T21:31");
  assert.ok(n.rows.length > 4000 && o.rows.length > 6000, `${n.rows.length} / ${o.rows.length}`);
  assert.ok(n.testIssues > 0 && o.testIssues > 0);
  assert.ok(!o.rows.some((r) => r.symbol === "ZXIET"), "IEX test symbol excluded");
  const brkb = o.rows.find((r) => r.symbol === "BRK.B")!;
  assert.deepEqual([brkb.exchange, brkb.asset_type, brkb.cqs_symbol], ["NYSE", "stock", "BRK.B"]);
  const pref = o.rows.find((r) => r.symbol === "ABR.PR.D")!;
  assert.deepEqual([pref.asset_type, pref.cqs_symbol, pref.nasdaq_symbol], ["preferred", "ABRpD", "ABR-D"]);
  assert.equal(o.rows.find((r) => r.symbol === "AACT.W")?.asset_type, "warrant");
  assert.equal(n.rows.find((r) => r.symbol === "ZZZ")?.asset_type, "etf");
});

Deno.test("parseListing() reads the 2016 CRLF files with a 5-pipe footer", async () => {
  const n = parseListing("nasdaqlisted", await read("nasdaqlisted_2016-08-15.txt"));
  const o = parseListing("otherlisted", await read("otherlisted_2016-08-15.txt"));
  assert.equal(n.createdAt, "2016-08-15T21:32");
  assert.ok(n.rows.some((r) => r.symbol === "AAPL"));
  assert.ok(o.rows.some((r) => r.symbol === "IBM"));
  assert.ok(n.rows.every((r) => !r.name.endsWith("\r")));
});

Deno.test("parseListing() rejects an HTML error page and a truncated file", async () => {
  const html = await read("nasdaqtrader_page_not_available_error.html");
  assert.throws(
    () => parseListing("nasdaqlisted", html),
    (e) => e instanceof ProviderError && e.reason === "malformed" && /HTML/.test(e.message),
  );
  const full = await read("nasdaqlisted_2025-07-21.txt");
  const cut = full.slice(0, Math.floor(full.length / 2));
  assert.throws(() => parseListing("nasdaqlisted", cut), /truncated|fields/);
  // A row short of a field is a garbled file, not a row to guess at.
  const lines = full.split("\n");
  lines[5] = lines[5].replace(/\|[^|]*$/, "");
  assert.throws(() => parseListing("nasdaqlisted", lines.join("\n")), /a row has 7 fields instead of 8/);
});

Deno.test("canonicalFromAct() maps CTA preferreds and class shares", () => {
  assert.equal(canonicalFromAct("ABR$D"), "ABR.PR.D");
  assert.equal(canonicalFromAct("BRK.B"), "BRK.B");
  assert.equal(canonicalFromAct("AACT.U"), "AACT.U");
});

Deno.test("parseListing() types real listings by symbol and name: ADRs and partnership units are stocks", async () => {
  const types = async (date: string) => {
    const rows = [
      ...parseListing("nasdaqlisted", await read(`nasdaqlisted_${date}.txt`)).rows,
      ...parseListing("otherlisted", await read(`otherlisted_${date}.txt`)).rows,
    ];
    return new Map(rows.map((r) => [r.symbol, r.asset_type]));
  };
  const want = {
    "2025-07-21": {
      // ADRs, one of them of preferred shares, and partnership and trust units trade as equity.
      stock: ["AZN", "ARM", "BIDU", "CIB", "ET", "MPLX", "PAA", "MARPS"],
      unit: ["AACT.U", "ALDFU", "BTSGU"],
      warrant: ["AACT.W", "PSNYW"],
      preferred: ["ABR.PR.D"],
    },
    "2016-08-15": {
      stock: ["UNT", "AAPL"],
      unit: ["DCUC"],
      right: ["SPE.R"],
      // Nasdaq's fifth letter R marks rights, but FTRPR is a preferred.
      preferred: ["FTRPR", "AA.PR"],
    },
  };
  for (const [date, byType] of Object.entries(want)) {
    const got = await types(date);
    for (const [type, symbols] of Object.entries(byType)) {
      for (const s of symbols) assert.equal(got.get(s), type, `${date} ${s}`);
    }
  }
});

Deno.test("symbolMark() reads each symbology's suffixes, and Alpha Vantage's -W as when-issued (other)", () => {
  const cases: [string, "nasdaq" | "act" | "dashed", string | undefined][] = [
    ["ALDFU", "nasdaq", "unit"],
    ["PSNYW", "nasdaq", "warrant"],
    ["ATMCR", "nasdaq", "right"],
    ["GOOGL", "nasdaq", undefined],
    ["ARLP", "nasdaq", undefined],
    ["AACT.U", "act", "unit"],
    ["AACT.W", "act", "warrant"],
    ["SPE.R", "act", "right"],
    ["ABR$D", "act", "preferred"],
    ["BRK.B", "act", undefined],
    ["AAC-U", "dashed", "unit"],
    ["ACHR-WS", "dashed", "warrant"],
    ["BST-R", "dashed", "right"],
    ["ACP-R-W", "dashed", "right"],
    ["ABR-P-D", "dashed", "preferred"],
    ["AAN-W", "dashed", "other"],
    ["BRK-B", "dashed", undefined],
  ];
  for (const [symbol, style, mark] of cases) assert.equal(symbolMark(symbol, style), mark, `${style} ${symbol}`);
});
