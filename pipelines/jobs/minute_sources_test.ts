import assert from "node:assert/strict";
import type { RawResponse } from "../sources/http.ts";
import { alpacaMinuteSource } from "./minute_sources.ts";

const reply = (body: unknown, fetchedAt: string): RawResponse => ({
  provider: "alpaca",
  url: "http://alpaca/v2/stocks/bars",
  status: 200,
  contentType: "application/json",
  body: new TextEncoder().encode(JSON.stringify(body)),
  fetchedAt: new Date(fetchedAt),
  requestId: "r",
  latencyMs: 0,
});
const bar = (t: string) => ({ t, o: 1, h: 1, l: 1, c: 1, v: 100, n: 1, vw: 1 });

Deno.test("an Alpaca page leaves out each symbol's minute still under way when it was fetched", () => {
  const page = {
    bars: {
      AAPL: [bar("2024-03-05T14:58:00Z"), bar("2024-03-05T14:59:00Z"), bar("2024-03-05T15:00:00Z")],
      MSFT: [bar("2024-03-04T20:59:00Z"), bar("2024-03-05T14:59:00Z"), bar("2024-03-05T15:00:00Z")],
    },
    next_page_token: null,
  };
  const source = alpacaMinuteSource({ baseUrl: "http://alpaca", keyId: "k", secret: "s" });
  const window = { start: Date.parse("2024-03-04T00:00:00Z"), end: Date.parse("2024-03-06T00:00:00Z") };
  // At 15:00:30 the 15:00 minute is half done; at 15:01:00 it has ended.
  const during = source.parse(reply(page, "2024-03-05T15:00:30Z"), "AAPL", window, null);
  assert.deepEqual(during.bars.map((b) => b.t), [
    "2024-03-05T14:58:00Z",
    "2024-03-05T14:59:00Z",
    "2024-03-04T20:59:00Z",
    "2024-03-05T14:59:00Z",
  ]);
  const after = source.parse(reply(page, "2024-03-05T15:01:00Z"), "AAPL", window, null);
  assert.equal(after.bars.length, 6);
});
