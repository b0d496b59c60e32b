import assert from "node:assert/strict";
import { ProviderError } from "../http.ts";
import { canonicalFromAct, parseListing } from "./listing.ts";

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
});

Deno.test("canonicalFromAct() maps CTA preferreds and class shares", () => {
  assert.equal(canonicalFromAct("ABR$D"), "ABR.PR.D");
  assert.equal(canonicalFromAct("BRK.B"), "BRK.B");
  assert.equal(canonicalFromAct("AACT.U"), "AACT.U");
});
