/**
 * Curated daily bars are a pure function of the raw layer: a rebuild from raw, inline or on
 * workers, gives back exactly what the ingest wrote, and rerunning it changes nothing.
 */
import assert from "node:assert/strict";
import { layout } from "../lake/layout.ts";
import { readRawMeta, writeRaw } from "../lake/raw.ts";
import { createDuckDbEngine } from "../lake/parquet/duckdb_engine.ts";
import { createWasmEngine } from "../lake/parquet/wasm_engine.ts";
import { openLake } from "../lake/query.ts";
import { createLocalStore } from "../lake/store_local.ts";
import type { ObjectStore } from "../lake/store.ts";
import { yahooDailySource } from "../pipelines/jobs/daily_sources.ts";
import { ingestDaily } from "../pipelines/jobs/ingest_daily.ts";
import { rebuildDailyBars } from "../pipelines/jobs/rebuild_daily.ts";
import { startReplayServer } from "../pipelines/replay/server.ts";
import { main } from "../main.ts";
import { capture } from "./support/capture.ts";

const NOW = () => new Date("2026-11-20T23:00:00Z");

async function allRows(root: string) {
  const lake = await openLake({ store: createLocalStore(root), cacheDir: await Deno.makeTempDir() });
  try {
    // ingested_at is left out: a rebuild stamps rows with the raw reply's fetch time.
    return await lake.sql("SELECT * EXCLUDE (ingested_at) FROM daily_bars ORDER BY symbol, date");
  } finally {
    lake.close();
  }
}

/** Ingest daily bars from the replay server, as the layer a rebuild starts from. */
function ingestFrom(url: string, store: ObjectStore, symbols: string[], from: string, to: string) {
  const source = yahooDailySource({ baseUrl: url, now: NOW });
  return ingestDaily({ store, engine: createWasmEngine(), source, symbols, from, to, now: NOW });
}

Deno.test("rebuildDailyBars() restores the ingested rows from raw, inline and on workers, and reruns add nothing", async () => {
  const replay = await startReplayServer({ port: 0, hostname: "127.0.0.1", now: NOW });
  const root = await Deno.makeTempDir();
  const store = createLocalStore(root);
  try {
    const ingest = await ingestFrom(
      replay.url,
      store,
      ["TSLA", "AAPL", "S0001", "S0002", "BRK-B"],
      "2018-01-01",
      "2021-12-31",
    );
    assert.equal(ingest.symbols_failed, 0, JSON.stringify(ingest.failures));
    const ingested = await allRows(root);
    assert.ok(ingested.length > 4 * 5 * 250, `${ingested.length} rows`);

    // One shard for all replies, and shards of one reply each (taken in turn by the runners); the
    // DuckDB engine merges every year on this thread instead of encoding in the shards.
    for (const [workers, shardBars, duck] of [[0, 1e6], [2, 1e6], [0, 1], [2, 1], [0, 1, 1]]) {
      const label = `workers=${workers}, shardBars=${shardBars}${duck ? ", duckdb" : ""}`;
      await Deno.remove(`${root}/${layout.dailyBarsPrefix}`, { recursive: true });
      const engine = duck ? createDuckDbEngine() : createWasmEngine({ workers });
      try {
        const rebuilt = await rebuildDailyBars({ store, engine, provider: "yahoo", workers, shardBars });
        assert.deepEqual(rebuilt.failed, []);
        assert.equal(rebuilt.bars, ingested.length, label);
        assert.equal(rebuilt.inserted, ingested.length, label);
        assert.deepEqual(await allRows(root), ingested, `${label}: rows equal the ingest's`);
        const again = await rebuildDailyBars({ store, engine, provider: "yahoo", workers, shardBars });
        assert.deepEqual([again.inserted, again.updated, again.partitions_written], [0, 0, 0]);
      } finally {
        engine.close();
      }
    }
  } finally {
    await replay.close();
  }
});

Deno.test("rebuildDailyBars() records an unreadable raw reply and rebuilds the rest", async () => {
  const replay = await startReplayServer({ port: 0, hostname: "127.0.0.1", now: NOW });
  const root = await Deno.makeTempDir();
  const store = createLocalStore(root);
  try {
    await ingestFrom(replay.url, store, ["S0001", "S0002"], "2021-01-01", "2021-03-31");
    const keys = (await store.list(layout.rawPrefix("yahoo", "chart_1d"))).map((o) => o.key)
      .filter((k) => !k.endsWith(".meta.json"));
    await store.put(keys[0], new TextEncoder().encode("<html>not json</html>"));
    await Deno.remove(`${root}/${layout.dailyBarsPrefix}`, { recursive: true });
    const engine = createWasmEngine({ workers: 2 });
    try {
      const rebuilt = await rebuildDailyBars({ store, engine, provider: "yahoo", workers: 2 });
      assert.equal(rebuilt.failed.length, 1);
      assert.equal(rebuilt.failed[0].raw_ref, keys[0]);
      assert.match(rebuilt.failed[0].message, /not JSON/);
      assert.ok(rebuilt.inserted > 50, `the other symbol landed: ${rebuilt.inserted}`);
    } finally {
      engine.close();
    }
  } finally {
    await replay.close();
  }
});

Deno.test("rebuildDailyBars(): of two replies for one symbol the later one wins, into existing and new partitions", async () => {
  const replay = await startReplayServer({ port: 0, hostname: "127.0.0.1", now: NOW });
  const root = await Deno.makeTempDir();
  const store = createLocalStore(root);
  const firstBar = async () =>
    (await allRows(root)).find((r) => r.symbol === "S0001") as { close: number; high: number; raw_ref: string };
  try {
    await ingestFrom(replay.url, store, ["S0001", "S0002", "S0003"], "2021-01-01", "2021-03-31");
    const original = await firstBar();
    assert.notEqual(original.close, original.high, "precondition: the bar to revise does not close at its high");
    // A later reply for S0001 revises its first bar to close at its high.
    const key = original.raw_ref;
    const meta = (await readRawMeta(store, key))!;
    const chart = JSON.parse(new TextDecoder().decode(await store.get(key)));
    const quote = chart.chart.result[0].indicators.quote[0];
    quote.close[0] = quote.high[0];
    const revisedKey = await writeRaw(store, {
      provider: "yahoo",
      url: meta.url,
      status: 200,
      contentType: "application/json",
      body: new TextEncoder().encode(JSON.stringify(chart)),
      fetchedAt: new Date(Date.parse(meta.fetched_at) + 3_600_000),
      requestId: "revised",
    }, { dataset: "chart_1d", name: "S0001", request: meta.request });

    for (const workers of [0, 2]) {
      const engine = createWasmEngine({ workers });
      try {
        // Into existing partitions (a merge), then into new ones (row groups joined by year).
        const merged = await rebuildDailyBars({ store, engine, provider: "yahoo", workers });
        assert.equal(merged.updated, workers === 0 ? 1 : 0, `workers=${workers}: ${JSON.stringify(merged)}`);
        assert.deepEqual(await firstBar(), { ...original, close: original.high, raw_ref: revisedKey });
        await Deno.remove(`${root}/${layout.dailyBarsPrefix}`, { recursive: true });
        await rebuildDailyBars({ store, engine, provider: "yahoo", workers });
        assert.deepEqual(await firstBar(), { ...original, close: original.high, raw_ref: revisedKey });
      } finally {
        engine.close();
      }
    }
  } finally {
    await replay.close();
  }
});

Deno.test("rebuildDailyBars() on a disk that fills up fails clearly, leaves whole partitions, and a rerun restores them", async () => {
  const replay = await startReplayServer({ port: 0, hostname: "127.0.0.1", now: NOW });
  const root = await Deno.makeTempDir();
  const store = createLocalStore(root);
  try {
    await ingestFrom(replay.url, store, ["S0001", "S0002", "S0003"], "2019-01-01", "2021-12-31");
    const ingested = await allRows(root);
    // The 2020 partition's writer finds the disk full.
    const full = {
      ...store,
      openWrite(key: string) {
        const w = store.openWrite(key);
        if (key !== layout.dailyBarsPartition(2020)) return w;
        return {
          ...w,
          write: () => Promise.reject(new Deno.errors.WriteZero("No space left on device (os error 28)")),
        };
      },
    };
    const replies = (await store.list(layout.rawPrefix("yahoo", "chart_1d"))).map((o) => o.key)
      .filter((k) => !k.endsWith(".meta.json"));
    // Into new partitions (streamed row groups), then into existing ones that lack S0003 (merges
    // that must write), inline and on workers, one reply per shard.
    for (const into of ["new", "existing"]) {
      for (const workers of [0, 2]) {
        await Deno.remove(`${root}/${layout.dailyBarsPrefix}`, { recursive: true }).catch(() => {});
        if (into === "existing") {
          const rawKeys = replies.filter((k) => !k.includes("S0003"));
          await rebuildDailyBars({ store, engine: createWasmEngine(), provider: "yahoo", rawKeys });
        }
        const engine = createWasmEngine({ workers });
        try {
          await assert.rejects(
            rebuildDailyBars({ store: full, engine, provider: "yahoo", workers, shardBars: 1 }),
            /No space left on device/,
            `${into}, workers=${workers}`,
          );
        } finally {
          engine.close();
        }
        const dir = `${root}/curated/daily_bars/year=2020`;
        const names = await Array.fromAsync(Deno.readDir(dir), (e) => e.name).catch(() => []);
        assert.deepEqual(names, into === "new" ? [] : ["data.parquet"], "no temp file left");
        for (const o of await store.list(layout.dailyBarsPrefix)) {
          const bytes = (await store.get(o.key))!;
          assert.deepEqual([...bytes.slice(0, 4)], [...bytes.slice(-4)], `${o.key} is a whole Parquet file`);
        }
      }
    }
    await rebuildDailyBars({ store, engine: createWasmEngine(), provider: "yahoo" });
    assert.deepEqual(await allRows(root), ingested);
  } finally {
    await replay.close();
  }
});

Deno.test("main(rebuild) recomputes indicators_daily when bars changed, and leaves it alone when none did", async () => {
  const replay = await startReplayServer({ port: 0, hostname: "127.0.0.1", now: NOW });
  const root = await Deno.makeTempDir();
  const store = createLocalStore(root);
  const rebuild = async () => {
    const { code, out } = await capture(() => main(["rebuild", "--lake", root, "--workers", "0", "--json"]));
    assert.equal(code, 0);
    return JSON.parse(out) as { bars: number; inserted: number; indicator_partitions_written: number };
  };
  try {
    await ingestFrom(replay.url, store, ["AAPL", "S0001"], "2020-01-01", "2021-12-31");
    for (const table of ["daily_bars", "indicators_daily"] as const) {
      await Deno.remove(`${root}/${layout.curatedPrefix(table)}`, { recursive: true });
    }
    const first = await rebuild();
    assert.equal(first.inserted, first.bars);
    assert.equal(first.indicator_partitions_written, 2);
    const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
    try {
      const [n] = await lake.sql<{ bars: number; ind: number }>(
        "SELECT (SELECT count(*) FROM daily_bars)::INT AS bars, (SELECT count(*) FROM indicators_daily)::INT AS ind",
      );
      assert.deepEqual(n, { bars: first.bars, ind: first.bars });
    } finally {
      lake.close();
    }
    const again = await rebuild();
    assert.deepEqual([again.inserted, again.indicator_partitions_written], [0, 0]);
  } finally {
    await replay.close();
  }
});
