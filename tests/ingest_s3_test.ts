/** End-to-end ingest into an S3 lake on a real S3 protocol server, then a query through the cache. */
import assert from "node:assert/strict";
import { loadConfig } from "../config.ts";
import { openStore } from "../lake/open_store.ts";
import { createWasmEngine } from "../lake/parquet/wasm_engine.ts";
import { openLake } from "../lake/query.ts";
import { yahooDailySource } from "../pipelines/jobs/daily_sources.ts";
import { ingestDaily } from "../pipelines/jobs/ingest_daily.ts";
import { ingestMinuteBars } from "../pipelines/jobs/ingest_minute.ts";
import { alpacaMinuteSource } from "../pipelines/jobs/minute_sources.ts";
import { minutesOnDays } from "./support/simulated_minutes.ts";
import { startReplayServer } from "../pipelines/replay/server.ts";
import { startS3rver } from "./support/s3rver.ts";
import { lakeStatus } from "../pipelines/jobs/lake_status.ts";

Deno.test("ingestDaily() into an S3 lake is queryable through the local cache, and reruns add nothing", async () => {
  const s3 = await startS3rver();
  const now = () => new Date("2024-07-01T23:00:00Z");
  const replay = await startReplayServer({ now });
  try {
    const config = loadConfig(s3.env("prod"));
    const store = openStore(config.lake);
    const opts = {
      store,
      engine: createWasmEngine(),
      source: yahooDailySource({ baseUrl: replay.url, now }),
      symbols: ["NVDA", "S0042"],
      from: "2024-06-03",
      to: "2024-06-14",
      now,
    };
    const first = await ingestDaily(opts);
    assert.equal(first.rows_inserted, 20, "2 symbols x 10 sessions");
    const cacheDir = await Deno.makeTempDir();
    const lake = await openLake({ store, cacheDir });
    const bars = await lake.getDailyBars({ symbols: ["NVDA"], start: "2024-06-07", end: "2024-06-10" });
    assert.deepEqual(bars.map((b) => [b.date, b.split_ratio]), [["2024-06-07", 1], ["2024-06-10", 10]]);
    // As traded: the 10:1 split on 2024-06-10 divides the price by about ten overnight.
    assert.ok(
      bars[0].close / bars[1].close > 8 && bars[0].close / bars[1].close < 12.5,
      `${bars[0].close} -> ${bars[1].close}`,
    );
    // The ingest refreshed indicators_daily on S3 too: a row per bar, streamed into its year's object.
    assert.equal(first.indicator_partitions_written, 1);
    const [ind] = await lake.sql<{ n: number }>("SELECT count(*)::INT AS n FROM indicators_daily");
    assert.equal(ind.n, 20);
    lake.close();

    const again = await ingestDaily(opts);
    assert.deepEqual([again.rows_inserted, again.rows_updated, again.partitions_written], [0, 0, 0]);
    const keys = (await store.list("")).map((o) => o.key);
    assert.ok(keys.includes("curated/daily_bars/year=2024/data.parquet"));
    assert.equal(keys.filter((k) => k.startsWith("state/runs/")).length, 2);
    assert.ok(keys.every((k) => !k.includes("apikey")));
    // `deno task status` reads S3 footers by range: the same rows, and every reply stored whole.
    const status = await lakeStatus(store);
    assert.deepEqual(status.tables.filter((t) => t.rows).map((t) => [t.table, t.rows]), [
      ["daily_bars", 20],
      ["indicators_daily", 20],
      ["indicators_latest", 2],
    ]);
    assert.deepEqual(status.raw.map((r) => [r.provider, r.dataset, r.replies, r.incomplete]), [
      ["yahoo", "chart_1d", 4, 0],
    ]);
  } finally {
    await replay.close();
    await s3.close();
  }
});

Deno.test("ingestMinuteBars() into an S3 lake lands each minute once, queryable through the cache", async () => {
  const s3 = await startS3rver();
  const now = () => new Date("2024-07-01T23:00:00Z");
  const replay = await startReplayServer({ now });
  try {
    const store = openStore(loadConfig(s3.env("prod")).lake);
    const opts = {
      store,
      engine: createWasmEngine(),
      source: alpacaMinuteSource({ baseUrl: replay.url, keyId: "key-id", secret: "secret" }),
      symbols: ["NVDA"],
      from: "2024-06-27",
      to: "2024-07-01",
      now,
    };
    const first = await ingestMinuteBars(opts);
    // 06-27, 06-28 and 07-01: three sessions (and their pre- and post-market) in two month partitions.
    const all = minutesOnDays("NVDA", "2024-06-27", "2024-07-01", now());
    assert.deepEqual([first.rows_inserted, first.partitions_written], [all, 2]);
    const again = await ingestMinuteBars(opts);
    assert.deepEqual([again.rows_inserted, again.rows_unchanged, again.partitions_written], [0, all, 0]);
    const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
    const [n] = await lake.sql<{ n: number; keys: number }>(
      "SELECT count(*) AS n, count(DISTINCT ts) AS keys FROM minute_bars WHERE symbol = ?",
      ["NVDA"],
    );
    lake.close();
    assert.deepEqual(n, { n: all, keys: all });
    // Alpaca's keys travel in headers: nothing stored in the lake carries them.
    for (const o of await store.list("raw/alpaca/")) {
      const text = new TextDecoder().decode((await store.get(o.key))!);
      assert.ok(!text.includes("key-id") && !text.includes("secret"), o.key);
    }
  } finally {
    await replay.close();
    await s3.close();
  }
});
