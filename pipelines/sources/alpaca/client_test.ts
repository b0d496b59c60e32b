import assert from "node:assert/strict";
import { ProviderError, type RawResponse } from "../http.ts";
import { alpacaBarDate, createAlpacaClient, fetchAllPages, parseBarsPage } from "./client.ts";

const reply = async (file: string, status = 200): Promise<RawResponse> => ({
  provider: "alpaca",
  url: "x",
  status,
  contentType: "application/json",
  body: await Deno.readFile(new URL(`./testdata/${file}`, import.meta.url)),
  fetchedAt: new Date(0),
  requestId: "r",
  latencyMs: 0,
});

Deno.test("parseBarsPage() reads the single-symbol and the multi-symbol shapes", async () => {
  const single = parseBarsPage(await reply("docs_faq_AAPL_bars_1Day_2023-09-29_feed_sip_limit1.json"));
  assert.deepEqual(Object.keys(single.bars), ["AAPL"]);
  assert.equal(single.bars.AAPL[0].c, 171.21);
  assert.equal(single.nextPageToken, "QUFQTHxEfDIwMjMtMDktMjlUMDQ6MDA6MDAuMDAwMDAwMDAwWg==");
  const multi = parseBarsPage(await reply("go_GetMultiBars_AAPL_NIO_1Day_2021-10-13.json"));
  assert.deepEqual(Object.keys(multi.bars).sort(), ["AAPL", "NIO"]);
  const empty = parseBarsPage(await reply("py_get_bars_empty_response.json"));
  assert.deepEqual([empty.bars, empty.nextPageToken], [{}, null]);
});

Deno.test("parseBarsPage() makes the subscription error terminal", async () => {
  const denied = { ...(await reply("docs_faq_error_subscription_does_not_permit_recent_SIP.json")), status: 403 };
  assert.throws(
    () => parseBarsPage(denied),
    (e) => e instanceof ProviderError && e.reason === "subscription" && !e.retriable,
  );
});

Deno.test("alpacaBarDate() maps midnight New York stamps to the trading date", () => {
  assert.equal(alpacaBarDate("2022-06-08T04:00:00Z"), "2022-06-08");
  assert.equal(alpacaBarDate("2024-01-05T05:00:00Z"), "2024-01-05");
});

Deno.test("fetchAllPages() follows the opaque token over real HTTP and sends keys as headers only", async () => {
  const seen: { token: string | null; key: string | null; url: string }[] = [];
  const page1 = await Deno.readFile(new URL("./testdata/go_GetBars_META_1Day_asof_page1.json", import.meta.url));
  const page2 = await Deno.readFile(new URL("./testdata/go_GetBars_META_1Day_asof_page2.json", import.meta.url));
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
    const u = new URL(req.url);
    seen.push({ token: u.searchParams.get("page_token"), key: req.headers.get("apca-api-key-id"), url: req.url });
    const token = u.searchParams.get("page_token");
    // The recorded page 2 is itself mid-stream; a final empty page ends the walk.
    return new Response(
      !token ? page1 : token.startsWith("TUVUQXxEfDIwMjItMDYtMDlU") ? page2 : '{"bars":{},"next_page_token":null}',
    );
  });
  try {
    const client = createAlpacaClient({
      baseUrl: `http://127.0.0.1:${server.addr.port}`,
      keyId: "KEYID",
      secret: "SECRET",
    });
    const pages = await fetchAllPages((t) => client.multiBars(["META"], { timeframe: "1Day", feed: "sip" }, t));
    assert.equal(pages.length, 3);
    assert.equal(seen[1].token, "TUVUQXxEfDIwMjItMDYtMDlUMDQ6MDA6MDAuMDAwMDAwMDAwWg==");
    assert.ok(seen.every((s) => s.key === "KEYID" && !s.url.includes("SECRET")));
    const bars = pages.flatMap((p) => parseBarsPage(p).bars.META ?? []);
    assert.equal(bars.length, 4);
  } finally {
    await server.shutdown();
  }
});

Deno.test("an Alpaca 429 over real HTTP says how long X-RateLimit-Reset asks to wait, and Alpaca's own message", async () => {
  const reset = Math.floor(Date.now() / 1000) + 30;
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    () =>
      Response.json({ message: "too many requests." }, {
        status: 429,
        headers: { "x-ratelimit-limit": "200", "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
      }),
  );
  try {
    const client = createAlpacaClient({ baseUrl: `http://127.0.0.1:${server.addr.port}` });
    const e = await client.multiBars(["AAPL"], { timeframe: "1Min", feed: "iex" }).then(parseBarsPage).catch((e) => e);
    assert.ok(e instanceof ProviderError, String(e));
    assert.equal(e.reason, "rate_limited");
    // Whole seconds to the reset, counted from the fetch.
    assert.ok(e.retryAfterS! >= 29 && e.retryAfterS! <= 30, String(e.retryAfterS));
    assert.match(e.message, /^Cannot fetch Alpaca bars: too many requests\. \(asked to wait \d+ s\)$/);
  } finally {
    await server.shutdown();
  }
});
