import assert from "node:assert/strict";
import { BROWSER_USER_AGENT, createYahooClient } from "./client.ts";

Deno.test("createYahooClient().fetchChart() sends Yahoo's query and keeps the reply verbatim", async () => {
  let seen: URL | undefined, userAgent: string | null = null;
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
    seen = new URL(req.url);
    userAgent = req.headers.get("user-agent");
    return new Response('{"chart":{"result":null,"error":null}}', { headers: { "content-type": "application/json" } });
  });
  try {
    const client = createYahooClient({ baseUrl: `http://127.0.0.1:${server.addr.port}` });
    const reply = await client.fetchChart("BRK-B", { period1: 1704067200, period2: 1704153600, interval: "1d" });
    assert.equal(seen?.pathname, "/v8/finance/chart/BRK-B");
    assert.equal(seen?.searchParams.get("events"), "div|split");
    assert.equal(seen?.searchParams.get("period1"), "1704067200");
    assert.equal(seen?.searchParams.get("interval"), "1d");
    assert.equal(reply.status, 200);
    assert.equal(new TextDecoder().decode(reply.body), '{"chart":{"result":null,"error":null}}');
    // Yahoo answers 429 to clients that do not look like a browser.
    assert.equal(userAgent, BROWSER_USER_AGENT);
    assert.match(String(userAgent), /^Mozilla\/5\.0 /);
    const own = createYahooClient({
      baseUrl: `http://127.0.0.1:${server.addr.port}`,
      userAgent: "Mozilla/5.0 (X11) mine",
    });
    await own.fetchChart("AAPL", { period1: 0, period2: 1, interval: "1d" });
    assert.equal(userAgent, "Mozilla/5.0 (X11) mine");
  } finally {
    await server.shutdown();
  }
});
