/**
 * End-to-end daily ingest over real HTTP against the replay server into a local lake: lineage,
 * rerun idempotency, resume after SIGKILL or a stop on SIGINT, failure isolation and hostile input.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { layout } from "../lake/layout.ts";
import { INDICATORS_DAILY } from "../lake/schemas/indicators_daily.ts";
import { createWasmEngine } from "../lake/parquet/wasm_engine.ts";
import { openLake } from "../lake/query.ts";
import { readRawMeta } from "../lake/raw.ts";
import { createLocalStore, writeFailure } from "../lake/store_local.ts";
import { type ObjectStore, StoreError } from "../lake/store.ts";
import { SymbolError } from "../lake/symbol.ts";
import { yahooDailySource } from "../pipelines/jobs/daily_sources.ts";
import { ingestDaily } from "../pipelines/jobs/ingest_daily.ts";
import { startReplayServer } from "../pipelines/replay/server.ts";
import { main } from "../main.ts";
import { killMainWhen, signalMainWhen } from "./support/kill_mid_run.ts";
import { listRuns } from "../lake/runs.ts";
import { simulatedSymbols } from "../pipelines/jobs/universe.ts";
import { keptLog } from "./support/kept_log.ts";
import { runMain } from "./support/run_main.ts";
import { withClockedReplay } from "./support/clocked_replay.ts";

const NOW = () => new Date("2026-11-20T23:00:00Z");

async function withReplay(fn: (url: string) => Promise<void>) {
  const replay = await startReplayServer({ port: 0, hostname: "127.0.0.1", now: NOW });
  try {
    await fn(replay.url);
  } finally {
    await replay.close();
  }
}

async function curatedRows(root: string) {
  const lake = await openLake({ store: createLocalStore(root), cacheDir: await Deno.makeTempDir() });
  try {
    return await lake.sql<{ symbol: string; date: string; close: number; source: string; raw_ref: string }>(
      "SELECT symbol, date::VARCHAR AS date, close::DOUBLE AS close, source, raw_ref FROM daily_bars ORDER BY symbol, date",
    );
  } finally {
    lake.close();
  }
}

/** In process, the same run as the CLI's `ingest --universe sim:<n> --from 2022-01-03 --to 2022-03-31`. */
function resumeSimulatedQ1(store: ObjectStore, url: string, n: number) {
  const source = yahooDailySource({ baseUrl: url });
  return ingestDaily({
    store,
    engine: createWasmEngine(),
    source,
    symbols: simulatedSymbols(n),
    from: "2022-01-03",
    to: "2022-03-31",
  });
}

Deno.test("ingestDaily() lands as-traded bars with lineage, and a rerun changes nothing", async () => {
  await withReplay(async (url) => {
    const root = await Deno.makeTempDir();
    const store = createLocalStore(root);
    const engine = createWasmEngine();
    const opts = {
      store,
      engine,
      source: yahooDailySource({ baseUrl: url, now: NOW }),
      symbols: ["TSLA", "BRK-B", "S0001"],
      from: "2020-08-24",
      to: "2020-09-04",
      now: NOW,
    };
    const first = await ingestDaily(opts);
    assert.equal(first.symbols_failed, 0, JSON.stringify(first.failures));
    assert.equal(
      first.rows_inserted,
      3 * 10,
      "10 NYSE sessions from 2020-08-24 to 2020-09-04 (exchange_calendars XNYS)",
    );

    const rows = await curatedRows(root);
    assert.equal(rows.length, 30);
    assert.deepEqual([...new Set(rows.map((r) => r.symbol))], ["BRK.B", "S0001", "TSLA"]);
    const tsla = Object.fromEntries(rows.filter((r) => r.symbol === "TSLA").map((r) => [r.date, r]));
    // TSLA split 5:1 effective 2020-08-31: as traded it closed at 2213.40 before and 498.32 after.
    assert.ok(Math.abs(tsla["2020-08-28"].close - 2213.4) < 0.05, String(tsla["2020-08-28"].close));
    assert.ok(Math.abs(tsla["2020-08-31"].close - 498.32) < 0.05, String(tsla["2020-08-31"].close));
    assert.equal(tsla["2020-08-28"].source, "yahoo");
    assert.ok(rows.filter((r) => r.symbol === "S0001").every((r) => r.source === "simulated"));
    for (const ref of new Set(rows.map((r) => r.raw_ref))) {
      const meta = await readRawMeta(store, ref);
      assert.ok(meta, `raw metadata for ${ref}`);
      assert.equal(meta.status, 200);
      assert.ok((await store.get(ref))!.length === meta.bytes);
    }

    // The load's year of indicators is refreshed with it: a row per bar.
    assert.equal(first.indicator_partitions_written, 1);
    const indicators = await engine.decode((await store.get(layout.indicatorsPartition(2020)))!, INDICATORS_DAILY);
    assert.equal(indicators.length, 30);

    const before = await Deno.readFile(join(root, layout.dailyBarsPartition(2020)));
    const again = await ingestDaily(opts);
    assert.deepEqual([again.rows_inserted, again.rows_updated, again.partitions_written], [0, 0, 0]);
    assert.equal(again.indicator_partitions_written, 0, "nothing changed, so the indicators are not recomputed");
    assert.equal(again.rows_unchanged, 30);
    assert.deepEqual(await Deno.readFile(join(root, layout.dailyBarsPartition(2020))), before);
    assert.equal((await curatedRows(root)).length, 30);
    const runs = await store.list(layout.runsPrefix);
    assert.equal(runs.length, 2);
  });
});

Deno.test("ingestDaily() keeps no bar of a session still open, and lands it whole after the close", async () => {
  // 13:00 New York on Wednesday 2026-12-02, then 17:00: the replay serves that day so far, then whole.
  await withClockedReplay("2026-12-02T18:00:00Z", async ({ url, now, set }) => {
    const root = await Deno.makeTempDir();
    const log = keptLog();
    const opts = {
      store: createLocalStore(root),
      engine: createWasmEngine(),
      source: yahooDailySource({ baseUrl: url, now }),
      symbols: ["S0001"],
      from: "2026-11-30",
      to: "2026-12-02",
      now,
      log,
    };
    const during = await ingestDaily(opts);
    assert.equal(during.symbols_ok, 1);
    assert.deepEqual((await curatedRows(root)).map((r) => r.date), ["2026-11-30", "2026-12-01"]);
    // One line for the run says which session was left out, and for how many symbols.
    const open = log.events.filter((e) => e.event === "ingest.open_session");
    assert.deepEqual(open.map((e) => [e.day, e.symbols]), [["2026-12-02", 1]]);
    assert.deepEqual(during.open_sessions, { "2026-12-02": 1 });
    assert.equal(log.events.filter((e) => e.event === "ingest.parse_warning").length, 0);
    // The raw reply keeps the day so far, as fetched.
    const [rawKey] = (await opts.store.list("raw/yahoo/")).map((o) => o.key).filter((k) => !k.endsWith(".meta.json"));
    const rawReply = JSON.parse(new TextDecoder().decode((await opts.store.get(rawKey))!));
    const partialClose = rawReply.chart.result[0].indicators.quote[0].close.at(-1);

    set("2026-12-02T22:00:00Z");
    const after = await ingestDaily(opts);
    assert.equal(after.rows_inserted, 1);
    assert.deepEqual(after.open_sessions, {});
    const rows = await curatedRows(root);
    assert.deepEqual(rows.map((r) => r.date), ["2026-11-30", "2026-12-01", "2026-12-02"]);
    assert.notEqual(Math.fround(rows[2].close), partialClose, "the replay served a bar that changed by the close");
  });
});

Deno.test("ingestDaily() fetches a symbol again from its first bar when a split since puts adj_close on a new basis", async () => {
  // S0000 splits 2:1 on 2022-02-18. The lake holds its bars to 2022-02-01; a daily run fetches
  // the last weeks after the split, which halves every earlier adj_close.
  await withClockedReplay("2022-02-01T23:00:00Z", async ({ url, now, set }) => {
    const root = await Deno.makeTempDir();
    const log = keptLog();
    const base = {
      store: createLocalStore(root),
      engine: createWasmEngine(),
      source: yahooDailySource({ baseUrl: url, now }),
      symbols: ["S0000", "S0001"],
      now,
      log,
      indicators: false,
    };
    const first = await ingestDaily({ ...base, from: "2021-12-01", to: "2022-02-01" });
    assert.equal(first.symbols_restated, 0);
    set("2022-03-01T23:00:00Z");
    const daily = await ingestDaily({ ...base, from: "2022-01-25", to: "2022-03-01" });
    assert.equal(daily.symbols_restated, 1);
    assert.deepEqual(log.events.filter((e) => e.event === "ingest.restate").map((e) => [e.symbol, e.from]), [[
      "S0000",
      "2021-12-01",
    ]]);
    const lake = await openLake({ store: base.store, cacheDir: await Deno.makeTempDir() });
    try {
      const bars = await lake.sql<{ date: string; ratio: number; raw_ref: string }>(
        `SELECT date::VARCHAR AS date, (adj_close / close)::DOUBLE AS ratio, raw_ref FROM daily_bars
          WHERE symbol = 'S0000' ORDER BY date`,
      );
      assert.equal(bars[0].date, "2021-12-01");
      // Before the split every bar is halved, and each comes from the reply that says so.
      const before = bars.filter((b) => b.date < "2022-02-18");
      assert.ok(before.every((b) => Math.abs(b.ratio - 0.5) < 1e-4), JSON.stringify(before.slice(0, 3)));
      assert.equal(new Set(bars.map((b) => b.raw_ref)).size, 1);
    } finally {
      lake.close();
    }
    // With no new split or dividend, a later run fetches each symbol once.
    set("2022-03-04T23:00:00Z");
    assert.equal((await ingestDaily({ ...base, from: "2022-02-25", to: "2022-03-04" })).symbols_restated, 0);
  });
});

Deno.test("ingestDaily() records a malformed reply as a failure and lands the other symbols", async () => {
  await withReplay(async (url) => {
    // A proxy that corrupts one symbol's reply and passes the rest through to the replay server.
    const proxy = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
      const u = new URL(req.url);
      if (u.pathname.endsWith("/MSFT")) {
        return new Response("<html>Service Unavailable</html>", { headers: { "content-type": "text/html" } });
      }
      if (u.pathname.endsWith("/NVDA")) {
        return new Response('{"chart":{"result":[{"meta":{', { headers: { "content-type": "application/json" } });
      }
      return await fetch(url + u.pathname + u.search, { headers: req.headers });
    });
    try {
      const root = await Deno.makeTempDir();
      const store = createLocalStore(root);
      const summary = await ingestDaily({
        store,
        engine: createWasmEngine(),
        source: yahooDailySource({ baseUrl: `http://127.0.0.1:${proxy.addr.port}`, now: NOW }),
        symbols: ["AAPL", "MSFT", "NVDA"],
        from: "2021-03-01",
        to: "2021-03-05",
        now: NOW,
      });
      assert.equal(summary.symbols_ok, 1);
      assert.deepEqual(summary.failures.map((f) => [f.symbol, f.reason]).sort(), [["MSFT", "malformed"], [
        "NVDA",
        "malformed",
      ]]);
      const rows = await curatedRows(root);
      assert.deepEqual([...new Set(rows.map((r) => r.symbol))], ["AAPL"]);
      // The bad replies are still kept verbatim in raw, for diagnosis.
      const raw = (await store.list("raw/yahoo/")).filter((o) => !o.key.endsWith(".meta.json"));
      assert.equal(raw.length, 3);
    } finally {
      await proxy.shutdown();
    }
  });
});

Deno.test("ingestDaily() resumes after SIGKILL: only missing symbols are fetched and nothing duplicates", async () => {
  await withReplay(async (url) => {
    const root = await Deno.makeTempDir();
    const args = [
      "ingest",
      "--universe",
      "sim:60",
      "--from",
      "2022-01-03",
      "--to",
      "2022-03-31",
      "--lake",
      root,
      "--engine",
      "wasm",
      "--concurrency",
      "1",
    ];
    const stagingDir = join(root, "staging", "daily_bars");
    let staged = 0;
    await killMainWhen(args, { TICKLAKE_YAHOO_URL: url }, async () => {
      try {
        for await (const load of Deno.readDir(stagingDir)) {
          staged = 0;
          for await (const f of Deno.readDir(join(stagingDir, load.name))) if (f.name.endsWith(".parquet")) staged++;
        }
      } catch { /* not created yet */ }
      return staged >= 5;
    });
    assert.ok(staged >= 5 && staged < 60, `staged ${staged}`);

    const store = createLocalStore(root);
    // An hour later another run fetches S0000, which the killed run had staged, and the provider has
    // revised its closes by a cent: the resumed run's older bars must not undo that.
    const yahoo = yahooDailySource({ baseUrl: url });
    const revising = {
      ...yahoo,
      async fetch(...args: Parameters<typeof yahoo.fetch>) {
        const reply = await yahoo.fetch(...args);
        const json = JSON.parse(new TextDecoder().decode(reply.body));
        const quote: { close: number[]; high: number[] } = json.chart.result[0].indicators.quote[0];
        quote.close = quote.close.map((c) => Math.round(c * 100 + 1) / 100);
        quote.high = quote.high.map((h, i) => Math.max(h, quote.close[i]));
        const anHourLater = new Date(reply.fetchedAt.getTime() + 3_600_000);
        return { ...reply, fetchedAt: anHourLater, body: new TextEncoder().encode(JSON.stringify(json)) };
      },
    };
    const base = { store, engine: createWasmEngine(), from: "2022-01-03", to: "2022-03-31" };
    await ingestDaily({ ...base, source: revising, symbols: ["S0000"] });
    const revised = await curatedRows(root);
    assert.equal(revised.length, 62);
    const resumed = await resumeSimulatedQ1(store, url, 60);
    assert.equal(resumed.resumed, true);
    assert.ok(resumed.symbols_skipped >= staged, `${resumed.symbols_skipped} skipped`);
    assert.equal(resumed.symbols_ok, 60);
    const rows = await curatedRows(root);
    const keys = new Set(rows.map((r) => `${r.symbol} ${r.date}`));
    assert.equal(keys.size, rows.length, "no duplicate (symbol, date)");
    assert.equal(rows.length, 60 * 62, "62 NYSE sessions in 2022 Q1 (exchange_calendars XNYS)");
    assert.deepEqual(rows.filter((r) => r.symbol === "S0000"), revised);
    // The checkpoint is gone once the run completes; readers never see temp files.
    assert.equal((await store.list("state/checkpoints/")).length, 0);
    assert.ok((await store.list("")).every((o) => !o.key.includes(".tmp-")));
  });
});

Deno.test("ingest stops on SIGINT: what was staged is curated, the run says so, and the same command resumes the rest", async () => {
  await withReplay(async (url) => {
    const root = await Deno.makeTempDir();
    const store = createLocalStore(root);
    const range = ["--from", "2022-01-03", "--to", "2022-03-31"];
    const args = ["ingest", "--universe", "sim:60", ...range, "--lake", root, "--concurrency", "1"];
    const staging = async () => (await store.list("staging/daily_bars/")).filter((o) => o.key.endsWith(".parquet"));
    const { status, stdout } = await signalMainWhen(
      args,
      { TICKLAKE_YAHOO_URL: url },
      async () => (await staging()).length >= 5,
      "SIGINT",
    );
    // It ended by itself, with the shell's code for Ctrl-C, not by the signal's default action.
    assert.deepEqual([status.code, status.signal], [130, null], stdout);
    const [run] = await listRuns(store);
    assert.equal(run.status, "stopped");
    assert.ok(run.symbols_ok >= 5 && run.symbols_ok < 60, `${run.symbols_ok} ok`);
    assert.equal(run.symbols_pending, 60 - run.symbols_ok);
    assert.match(stdout, new RegExp(`stopped: ${60 - run.symbols_ok} symbols not fetched`));
    const runs = await runMain(["runs", "--lake", root]);
    assert.match(
      runs.out,
      new RegExp(`ingest_daily stopped: ${run.symbols_ok}/60 ok, ${60 - run.symbols_ok} left for `),
    );
    // Every staged symbol is queryable already, whole.
    const rows = await curatedRows(root);
    assert.equal(new Set(rows.map((r) => r.symbol)).size, run.symbols_ok);
    assert.equal(rows.length, run.symbols_ok * 62);
    assert.equal((await staging()).length, run.symbols_ok, "nothing is staged after the stop");
    assert.equal((await store.list("state/checkpoints/")).length, 1, "the checkpoint stays for the rerun");

    const resumed = await resumeSimulatedQ1(store, url, 60);
    assert.deepEqual(
      [resumed.resumed, resumed.symbols_skipped, resumed.symbols_ok, resumed.symbols_pending],
      [true, run.symbols_ok, 60, 0],
    );
    const all = await curatedRows(root);
    assert.equal(new Set(all.map((r) => `${r.symbol} ${r.date}`)).size, 60 * 62);
    assert.equal(all.length, 60 * 62);
    assert.equal((await store.list("state/checkpoints/")).length, 0);
    assert.equal((await listRuns(store))[0].status, "ok");
  });
});

Deno.test("the same ingest started twice at once: the second is refused (exit 75) naming the first, which carries on", async () => {
  await withReplay(async (url) => {
    const root = await Deno.makeTempDir();
    const store = createLocalStore(root);
    const args = ["ingest", "--universe", "sim:40", "--from", "2022-01-03", "--to", "2022-03-31", "--lake", root];
    const first = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../main.ts", import.meta.url).pathname, ...args, "--concurrency", "1"],
      env: { TICKLAKE_YAHOO_URL: url },
      stdout: "null",
      stderr: "null",
    }).spawn();
    const staged = async () => (await store.list("staging/daily_bars/")).length;
    for (let i = 0; i < 3000 && await staged() < 2; i++) await new Promise((r) => setTimeout(r, 10));
    // `--concurrency` is not part of a run's identity: the same symbols and days make the same run.
    const second = await runMain(args, { TICKLAKE_YAHOO_URL: url });
    assert.equal(second.code, 75, second.err);
    assert.match(
      second.err,
      new RegExp(`^error: Cannot start ingest_daily: the same run is under way \\(pid ${first.pid} on `, "m"),
    );
    first.kill("SIGINT");
    assert.equal((await first.status).code, 130);
    const resumed = await resumeSimulatedQ1(store, url, 40);
    assert.deepEqual([resumed.resumed, resumed.symbols_ok], [true, 40]);
    assert.equal((await curatedRows(root)).length, 40 * 62);
  });
});

Deno.test("ingestDaily() stopped mid-fetch starts no new symbol and does not wait for, or stage, the one in flight", async () => {
  await withReplay(async (url) => {
    const root = await Deno.makeTempDir();
    const store = createLocalStore(root);
    const yahoo = yahooDailySource({ baseUrl: url, now: NOW });
    const stop = new AbortController();
    const held = Promise.withResolvers<void>();
    // Released by a timer only if the ingest waits for it, which it must not.
    let waited = false;
    const timer = setTimeout(() => (waited = true, held.resolve()), 5000);
    const asked: string[] = [];
    const source = {
      ...yahoo,
      async fetch(...args: Parameters<typeof yahoo.fetch>) {
        asked.push(args[0]);
        const reply = await yahoo.fetch(...args);
        // The third symbol's reply is held, as a retry's wait would hold it, while the stop comes.
        if (asked.length === 3) stop.abort(), await held.promise;
        return reply;
      },
    };
    const symbols = ["S0000", "S0001", "S0002", "S0003", "S0004"];
    const summary = await ingestDaily({
      store,
      engine: createWasmEngine(),
      source,
      symbols,
      from: "2022-01-03",
      to: "2022-01-31",
      now: NOW,
      concurrency: 1,
      stop: stop.signal,
    });
    assert.equal(waited, false, "the stop waited for the symbol in flight");
    clearTimeout(timer);
    held.resolve();
    await new Promise((r) => setTimeout(r, 200)); // time for the held symbol to stage, if it would
    assert.deepEqual(asked, ["S0000", "S0001", "S0002"]);
    assert.deepEqual(
      [summary.symbols_ok, summary.symbols_failed, summary.symbols_pending, summary.rows_inserted],
      [2, 0, 3, 2 * 20],
    );
    const staged = (await store.list("staging/daily_bars/")).map((o) => o.key.split("/").at(-1));
    assert.deepEqual(staged, ["S0000.parquet", "S0001.parquet"]);
    // Its reply is kept in raw all the same, as every reply is.
    assert.equal((await store.list("raw/yahoo/")).filter((o) => o.key.endsWith(".meta.json")).length, 3);
  });
});

Deno.test("ingestDaily() refuses hostile symbols and impossible ranges before writing anything", async () => {
  const root = await Deno.makeTempDir();
  const store = createLocalStore(root);
  const base = { store, engine: createWasmEngine(), source: yahooDailySource({ baseUrl: "http://127.0.0.1:9" }) };
  for (const bad of ["../x", "a/b", "", "X".repeat(50)]) {
    await assert.rejects(
      ingestDaily({ ...base, symbols: ["AAPL", bad], from: "2024-01-02", to: "2024-01-05" }),
      SymbolError,
    );
  }
  await assert.rejects(ingestDaily({ ...base, symbols: ["AAPL"], from: "2024-02-30", to: "2024-03-05" }), RangeError);
  await assert.rejects(
    ingestDaily({ ...base, symbols: ["AAPL"], from: "2024-01-02", to: "2024-01-05", concurrency: 0 }),
    /concurrency 0: expected a whole number, 1 or more/,
  );
  await assert.rejects(ingestDaily({ ...base, symbols: ["AAPL"], from: "2024-03-05", to: "2024-03-01" }), RangeError);
  assert.deepEqual(await store.list(""), []);
  // The CLI turns the same input into exit code 2 with a message, not a stack trace.
  assert.equal(await main(["ingest", "--symbols", "../x", "--lake", root]), 2);
  assert.equal(await main(["ingest", "--symbols", "AAPL", "--from", "2024-13-01", "--lake", root]), 2);
  assert.deepEqual(await store.list(""), []);
});

Deno.test("ingestDaily() on a disk that fills up fails with a clear error, loses nothing, and a rerun completes", async () => {
  await withReplay(async (url) => {
    const root = await Deno.makeTempDir();
    const local = createLocalStore(root);
    let writesLeft = 12;
    // The same store, except that it runs out of space after a few writes, as a full disk does:
    // the OS's ENOSPC, as the local store reports it.
    const enospc = Object.assign(new Error("No space left on device (os error 28)"), { code: "ENOSPC" });
    const noSpace = (key: string) => writeFailure(local.pathOf(key), enospc);
    const filling = {
      ...local,
      async put(key: string, body: Uint8Array | string) {
        if (--writesLeft < 0) throw noSpace(key);
        await local.put(key, body);
      },
      openWrite(key: string) {
        const w = local.openWrite(key);
        return {
          ...w,
          write: (chunk: Uint8Array) => writesLeft < 0 ? Promise.reject(noSpace(key)) : w.write(chunk),
          commit: () => --writesLeft < 0 ? Promise.reject(noSpace(key)) : w.commit(),
        };
      },
    };
    const yahoo = yahooDailySource({ baseUrl: url, now: NOW });
    const asked: string[] = [];
    const opts = {
      engine: createWasmEngine(),
      source: { ...yahoo, fetch: (...a: Parameters<typeof yahoo.fetch>) => (asked.push(a[0]), yahoo.fetch(...a)) },
      concurrency: 1,
      symbols: ["AAPL", "MSFT", "NVDA", "S0001", "S0002", "S0003"],
      from: "2024-01-02",
      to: "2024-03-28",
      now: NOW,
    };
    // 1 checkpoint + 3 writes per symbol (raw, its metadata, staging): the 4th symbol hits the full
    // disk, which ends the run: no later symbol is fetched only to meet it too.
    await assert.rejects(ingestDaily({ ...opts, store: filling }), (e) => {
      assert.ok(e instanceof StoreError, String(e));
      assert.match(e.message, /the disk is full: free some space, then run the same command again/);
      return true;
    });
    assert.deepEqual(asked, ["AAPL", "MSFT", "NVDA", "S0001"]);
    assert.ok((await local.list("")).every((o) => !o.key.includes(".tmp-")), "no temp file visible");
    for (const o of await local.list("curated/")) {
      const bytes = (await local.get(o.key))!;
      assert.deepEqual([...bytes.slice(0, 4)], [...bytes.slice(-4)], `${o.key} is a whole Parquet file`);
    }
    const second = await ingestDaily({ ...opts, store: local });
    assert.equal(second.resumed, true);
    assert.equal(second.symbols_skipped, 3, "the three symbols staged before the disk filled are not fetched again");
    assert.equal(second.symbols_ok, 6);
    const rows = await curatedRows(root);
    assert.equal(rows.length, 6 * 61, "61 NYSE sessions in 2024 Q1 up to 03-28");
    assert.equal(new Set(rows.map((r) => `${r.symbol} ${r.date}`)).size, rows.length);
  });
});
