/**
 * Two jobs writing one table at once: each merges into the partition the other wrote, so no
 * job's rows are lost, whether the other job runs in this process or in another.
 */
import assert from "node:assert/strict";
import { keptLog } from "./support/kept_log.ts";
import { layout } from "../lake/layout.ts";
import { createWasmEngine } from "../lake/parquet/wasm_engine.ts";
import { openLake } from "../lake/query.ts";
import type { ObjectStore } from "../lake/store.ts";
import { createLocalStore } from "../lake/store_local.ts";
import { yahooDailySource } from "../pipelines/jobs/daily_sources.ts";
import { ingestDaily } from "../pipelines/jobs/ingest_daily.ts";
import type { Logger } from "../pipelines/log.ts";
import { startReplayServer } from "../pipelines/replay/server.ts";
import { asTableWriter } from "../pipelines/jobs/lake_writer.ts";
import { loadConfig } from "../config.ts";
import { openStore } from "../lake/open_store.ts";
import { startS3rver } from "./support/s3rver.ts";
import { holdLockInChild } from "./support/hold_lock.ts";
import { runMain } from "./support/run_main.ts";

const NOW = () => new Date("2026-11-20T23:00:00Z");

/**
 * `store`, except that opening a curated daily partition waits until a second job opens it too
 * (or a second has passed): two merges left unguarded would then both read the old version.
 */
function meetingAtPartitions(store: ObjectStore): ObjectStore {
  const arrivals = new Map<string, PromiseWithResolvers<void>>();
  return {
    ...store,
    async openRead(key) {
      if (key.startsWith(layout.dailyBarsPrefix)) {
        const met = arrivals.get(key);
        if (met) met.resolve();
        else {
          const wait = Promise.withResolvers<void>();
          arrivals.set(key, wait);
          let timer: ReturnType<typeof setTimeout> | undefined;
          await Promise.race([wait.promise, new Promise((r) => timer = setTimeout(r, 1000))]);
          clearTimeout(timer);
          arrivals.delete(key);
        }
      }
      return store.openRead(key);
    },
  };
}

async function symbolsIn(root: string): Promise<Record<string, number>> {
  const lake = await openLake({ store: createLocalStore(root), cacheDir: await Deno.makeTempDir() });
  try {
    const rows = await lake.sql<{ symbol: string; n: number }>(
      "SELECT symbol, count(*)::INTEGER AS n FROM daily_bars GROUP BY symbol ORDER BY symbol",
    );
    return Object.fromEntries(rows.map((r) => [r.symbol, r.n]));
  } finally {
    lake.close();
  }
}

Deno.test("two daily ingests at once into one partition: the second waits for the first and keeps its rows", async () => {
  const replay = await startReplayServer({ port: 0, hostname: "127.0.0.1", now: NOW });
  try {
    const root = await Deno.makeTempDir();
    const store = meetingAtPartitions(createLocalStore(root));
    const engine = createWasmEngine();
    const run = (symbols: string[], log: Logger) =>
      ingestDaily({
        store,
        engine,
        log,
        source: yahooDailySource({ baseUrl: replay.url, now: NOW }),
        symbols,
        from: "2020-08-24",
        to: "2020-09-04",
        now: NOW,
      });
    const logs = [keptLog(), keptLog()];
    const [a, b] = await Promise.all([run(["S0001", "S0003"], logs[0]), run(["S0002"], logs[1])]);
    assert.deepEqual([a.rows_inserted, b.rows_inserted], [20, 10]);
    assert.deepEqual(await symbolsIn(root), { S0001: 10, S0002: 10, S0003: 10 });
    const waits = logs.flatMap((l) => l.events.filter((e) => e.event === "lake.lock_wait"));
    assert.equal(waits.length, 1, JSON.stringify(waits));
    assert.deepEqual([waits[0].table, (waits[0].held_by as { job: string }).job], ["daily_bars", "ingest_daily"]);
  } finally {
    await replay.close();
  }
});

Deno.test("a lake whose S3 server ignores conditional writes is said, once, to have locks that are not exclusive", async () => {
  const s3 = await startS3rver();
  try {
    const store = openStore(loadConfig(s3.env("lake")).lake);
    const log = keptLog();
    for (const table of ["daily_bars", "daily_bars", "symbols"] as const) {
      assert.equal(await asTableWriter({ store, table, job: "test", log }, () => Promise.resolve(table)), table);
    }
    assert.deepEqual(log.events.map((e) => [e.event, e.table]), [["lake.lock_not_exclusive", "daily_bars"]]);
    assert.deepEqual(await store.list("state/locks/"), [], "every lock released");
  } finally {
    await s3.close();
  }
});

Deno.test("a daily ingest waits while another process holds the table's lock, then lands its rows", async () => {
  const replay = await startReplayServer({ port: 0, hostname: "127.0.0.1", now: NOW });
  const root = await Deno.makeTempDir();
  const holder = await holdLockInChild(layout.lock("daily_bars"), 0, { TICKLAKE_LAKE: root });
  try {
    const log = keptLog();
    let done = false;
    const ingest = ingestDaily({
      store: createLocalStore(root),
      engine: createWasmEngine(),
      log,
      source: yahooDailySource({ baseUrl: replay.url, now: NOW }),
      symbols: ["S0001"],
      from: "2020-08-24",
      to: "2020-09-04",
      now: NOW,
    }).finally(() => done = true);
    while (!log.events.some((e) => e.event === "lake.lock_wait") && !done) await new Promise((r) => setTimeout(r, 50));
    const wait = log.events.find((e) => e.event === "lake.lock_wait");
    assert.equal((wait?.held_by as { pid?: number } | undefined)?.pid, holder.pid, "the ingest names the holder");
    assert.equal(done, false);
    assert.deepEqual(await symbolsIn(root), {}, "nothing curated while the lock is held");
    await holder.kill();
    assert.equal((await ingest).rows_inserted, 10);
    assert.deepEqual(await symbolsIn(root), { S0001: 10 });
  } finally {
    await holder.kill();
    await replay.close();
  }
});

Deno.test("the CLI gives up on a held table after --lock-wait (exit 75), naming the holder, and its rerun lands the rows", async () => {
  const replay = await startReplayServer({ port: 0, hostname: "127.0.0.1", now: NOW });
  const root = await Deno.makeTempDir();
  const holder = await holdLockInChild(layout.lock("daily_bars"), 0, { TICKLAKE_LAKE: root });
  const ingest = ["ingest", "--symbols", "S0001", "--from", "2020-08-24", "--to", "2020-09-04", "--lake", root];
  const env = { TICKLAKE_YAHOO_URL: replay.url };
  try {
    // Should the limit be ignored, the ingest ends up taking the lock, and the test fails rather than hangs.
    const safety = setTimeout(() => holder.kill(), 20_000);
    const gaveUp = await runMain([...ingest, "--lock-wait", "0.4"], env);
    assert.equal(gaveUp.code, 75, gaveUp.err);
    assert.match(gaveUp.err, new RegExp(`pid ${holder.pid} .*the table was not changed`));
    assert.deepEqual(await symbolsIn(root), {}, "nothing curated");
    assert.equal((await createLocalStore(root).list("raw/yahoo/")).length > 0, true, "the fetched reply is kept");
    // The environment sets the same limit for every writing command.
    assert.equal((await runMain(["rebuild", "--lake", root], { TICKLAKE_LOCK_WAIT_S: "0" })).code, 75);
    clearTimeout(safety);
    await holder.kill();
    const rerun = await runMain(ingest, env);
    assert.equal(rerun.code, 0, rerun.err);
    assert.deepEqual(await symbolsIn(root), { S0001: 10 });
  } finally {
    await holder.kill();
    await replay.close();
  }
});
