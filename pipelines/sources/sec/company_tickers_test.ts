import assert from "node:assert/strict";
import { ProviderError } from "../http.ts";
import { parseCompanyTickers } from "./company_tickers.ts";

Deno.test("parseCompanyTickers() maps the real file's tickers to padded CIKs, class shares included", async () => {
  const m = parseCompanyTickers(await Deno.readTextFile(new URL("./testdata/company_tickers.json", import.meta.url)));
  assert.ok(m.size > 9000, String(m.size));
  assert.equal(m.get("MSFT"), "0000789019");
  assert.equal(m.get("BRK.B"), m.get("BRK.A"));
  assert.equal(m.get("GOOG"), m.get("GOOGL"));
});

Deno.test("parseCompanyTickers() rejects a body of the wrong shape", () => {
  assert.throws(() => parseCompanyTickers("<html></html>"), ProviderError);
  assert.throws(() => parseCompanyTickers('{"0":{"ticker":"X"}}'), ProviderError);
});
