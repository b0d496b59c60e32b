import assert from "node:assert/strict";
import { createYahooClient } from "./client.ts";

Deno.test("createYahooClient().fetchChart() sends Yahoo's query and keeps the reply verbatim", async () => {
  let seen: URL | undefined;
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
    seen = new URL(req.url);
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
  } finally {
    await server.shutdown();
  }
});
