/** `deno task status` over the demo lake: its counts against the query API and the listings. */
import assert from "node:assert/strict";
import { openLake } from "../lake/query.ts";
import { openCheckpoint } from "../lake/runs.ts";
import { layout } from "../lake/layout.ts";
import { lockHolder } from "../lake/store.ts";
import { lakeStatus } from "../pipelines/jobs/lake_status.ts";
import { realClock } from "../pipelines/net/clock.ts";
import { sharedBucket } from "../pipelines/net/shared_rate.ts";
import { main } from "../main.ts";
import { capture } from "./support/capture.ts";
import { holdLockInChild } from "./support/hold_lock.ts";
import { DEMO_SYMBOLS, makeDemoLake } from "./support/demo_lake.ts";

Deno.test("lakeStatus() counts each table's rows from footers, stored replies, last runs and unfinished ones", async () => {
  const { root, store } = await makeDemoLake();
  // A reply body whose sidecar was never written (a killed write); a run that never ended (its
  // process gone, its checkpoint left); and a run under way now.
  await store.put("raw/yahoo/chart_1d/dt=2024-12-31/ZZZ_20241231T230000Z_x.json", "{}");
  const killed = await openCheckpoint(store, "ingest_fundamentals", { symbols: ["AAPL"] }, () => ({}), new Date());
  await killed[Symbol.asyncDispose]();
  await using _ = await openCheckpoint(store, "ingest_daily", { symbols: ["MSFT"] }, () => ({}), new Date());
  // A killed run over many symbols and days, by the parameters an ingest records.
  const symbols = Array.from({ length: 40 }, (_, i) => `S${i}`);
  const params = { provider: "yahoo", symbols, from: "2020-01-01", to: "2020-12-31" };
  await (await openCheckpoint(store, "ingest_daily", params, () => ({}), new Date()))[Symbol.asyncDispose]();
  // A process calling SEC now, and one that was killed calling it a minute ago.
  const sec = sharedBucket({ capacity: 1, perSecond: 10 }, { store, provider: "sec", clock: realClock });
  await sec.take();
  const dead = layout.pacer("sec", "killed");
  await store.put(dead, JSON.stringify({ id: "killed", pid: 1, host: "h", since: "", sees: ["killed"] }));
  const minuteAgo = new Date(Date.now() - 60_000);
  await Deno.utime(`${root}/${dead}`, minuteAgo, minuteAgo);

  const status = await lakeStatus(store);
  const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
  try {
    for (const table of ["daily_bars", "indicators_daily", "minute_bars", "fundamentals", "symbols"]) {
      const [{ n }] = await lake.sql<{ n: number }>(`SELECT count(*)::INT AS n FROM ${table}`);
      const t = status.tables.find((t) => t.table.startsWith(table))!;
      assert.ok(n > 0, table);
      assert.equal(t.rows, n, table);
    }
  } finally {
    lake.close();
  }
  const daily = await store.list("curated/daily_bars/");
  assert.deepEqual(status.tables[0], {
    table: "daily_bars",
    objects: daily.length,
    bytes: daily.reduce((n, o) => n + o.size, 0),
    rows: status.tables[0].rows,
  });
  const yahoo = status.raw.find((r) => r.provider === "yahoo" && r.dataset === "chart_1d")!;
  assert.deepEqual([yahoo.replies, yahoo.incomplete], [DEMO_SYMBOLS.length, 1]);
  assert.deepEqual(status.latest_runs.find((r) => r.job === "ingest_daily")?.status, "ok");
  const byJobAndSymbols = (u: typeof status.unfinished[number]) => `${u.job} ${u.params?.symbols}`;
  assert.deepEqual(
    status.unfinished.toSorted((a, b) => byJobAndSymbols(a).localeCompare(byJobAndSymbols(b)))
      .map((u) => [u.job, u.running?.pid, u.params]),
    [
      ["ingest_daily", Deno.pid, { symbols: ["MSFT"] }],
      ["ingest_daily", undefined, params],
      ["ingest_fundamentals", undefined, { symbols: ["AAPL"] }],
    ],
  );

  assert.deepEqual(
    status.rates_shared.map((r) => [r.provider, r.processes.map((p) => p.pid)]),
    [["sec", [Deno.pid]]],
    "the live caller, not the killed one",
  );

  const json = await capture(() => main(["status", "--json", "--lake", root]));
  assert.equal(json.code, 0);
  assert.deepEqual(JSON.parse(json.out), status);
  const text = await capture(() => main(["status", "--lake", root]));
  assert.match(text.out, /^daily_bars\s+\d+\s+[\d.]+ [kM]B\s+[\d,]+$/m);
  assert.match(text.out, /yahoo\/chart_1d\s+5 .*\(1 unfinished writes, no sidecar\)/);
  assert.match(text.out, /unfinished ingest_fundamentals run of AAPL \(checkpoint .*the same command again resumes it/);
  assert.match(
    text.out,
    /unfinished ingest_daily run of 40 symbols \(S0, S1, S2, \.\.\.\) from 2020-01-01 to 2020-12-31 yahoo \(checkpoint/,
  );
  assert.match(text.out, new RegExp(`running ingest_daily run \\(ingest_daily \\(pid ${Deno.pid} on `));
  assert.doesNotMatch(text.out, /lock run_/, "a run's lock is told with its run");
  assert.match(text.out, new RegExp(`^sec called now by 1 process, sharing its rate limit: pid ${Deno.pid} on `, "m"));
  await sec.leave();
});

Deno.test("lakeStatus() names the locks held and those whose holder was killed, not those released", async () => {
  const { root, store } = await makeDemoLake();
  const held = await store.lock(layout.lock("daily_bars"), lockHolder("ingest_daily"));
  await (await store.lock(layout.lock("fundamentals"), lockHolder("ingest_fundamentals"))).release();
  const child = await holdLockInChild(layout.lock("indicators_daily"), 1000, { TICKLAKE_LAKE: root });
  await child.kill();
  try {
    const { locks } = await lakeStatus(store);
    assert.deepEqual(locks.map((l) => [l.name, l.state, l.holder?.job, l.holder?.pid]), [
      ["daily_bars", "held", "ingest_daily", Deno.pid],
      ["indicators_daily", "free", "holder", child.pid],
    ]);
    const text = (await capture(() => main(["status", "--lake", root]))).out;
    assert.match(text, new RegExp(`^lock daily_bars: held by ingest_daily \\(pid ${Deno.pid} on `, "m"));
    assert.match(
      text,
      new RegExp(
        `^lock indicators_daily: free; its last holder, holder \\(pid ${child.pid} .*ended without releasing it$`,
        "m",
      ),
    );
    assert.doesNotMatch(text, /lock fundamentals/);
  } finally {
    await held.release();
  }
  assert.deepEqual((await lakeStatus(store)).locks.map((l) => l.name), ["indicators_daily"]);
});
