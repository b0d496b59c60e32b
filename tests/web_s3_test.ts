/** The dashboard server over an S3 lake: ranges are proxied through the store, credentials stay server-side. */
import assert from "node:assert/strict";
import { loadConfig } from "../config.ts";
import { layout } from "../lake/layout.ts";
import { createS3Store } from "../lake/store_s3.ts";
import { createApp } from "../web/server.ts";
import { startS3rver } from "./support/s3rver.ts";

Deno.test("createApp() over an S3 lake answers Range requests from S3 and never exposes credentials", async () => {
  const s3 = await startS3rver();
  const loc = loadConfig(s3.env("lake")).lake;
  if (loc.kind !== "s3") throw new Error("expected S3");
  const store = createS3Store(loc);
  try {
    const body = new TextEncoder().encode("PAR1" + "x".repeat(1000) + "PAR1");
    await store.put(layout.dailyBarsPartition(2024), body);
    const app = createApp({ store });
    const res = await app.request(`/lake/${layout.dailyBarsPartition(2024)}`, { headers: { range: "bytes=-4" } });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get("content-range"), "bytes 1004-1007/1008");
    assert.equal(await res.text(), "PAR1");
    const catalog = await (await app.request("/api/catalog")).text();
    assert.ok(
      !catalog.includes("S3RVER") && !catalog.includes(s3.endpoint),
      "no credentials or endpoint in the catalog",
    );
    assert.match(catalog, /\/lake\/curated\/daily_bars\/year=2024\/data\.parquet/);
    // The version the catalog names, from S3's listing, is the one its HEAD reports: ranges are served.
    const url: string = JSON.parse(catalog).tables[0].files[0].url;
    const versioned = await app.request(url, { headers: { range: "bytes=0-3" } });
    assert.deepEqual([url.includes("?v="), versioned.status, await versioned.text()], [true, 206, "PAR1"]);
  } finally {
    store.client.destroy();
    await s3.close();
  }
});
