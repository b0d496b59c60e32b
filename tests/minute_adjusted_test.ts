/**
 * Adjusted minute bars: on the adjusted daily bars' basis across a split, over a lake the real
 * pipeline filled from the replay server (daily bars from Yahoo, minute bars from Alpaca).
 */
import assert from "node:assert/strict";
import { createWasmEngine } from "../lake/parquet/wasm_engine.ts";
import { openLake, SqlError } from "../lake/query.ts";
import { createLocalStore } from "../lake/store_local.ts";
import { yahooDailySource } from "../pipelines/jobs/daily_sources.ts";
import { ingestDaily } from "../pipelines/jobs/ingest_daily.ts";
import { ingestMinuteBars } from "../pipelines/jobs/ingest_minute.ts";
import { alpacaMinuteSource } from "../pipelines/jobs/minute_sources.ts";
import { withClockedReplay } from "./support/clocked_replay.ts";
import { capture } from "./support/capture.ts";
import { main } from "../main.ts";

Deno.test("getMinuteBars({adjusted}) puts minutes before a split on the adjusted daily bars' basis, and refuses days without them", async () => {
  // S0000 splits 2:1 on 2022-02-18.
  await withClockedReplay("2022-03-01T23:00:00Z", async ({ url, now }) => {
    const root = await Deno.makeTempDir();
    const store = createLocalStore(root), engine = createWasmEngine();
    const source = yahooDailySource({ baseUrl: url, now });
    await ingestDaily({ store, engine, source, symbols: ["S0000"], from: "2022-02-16", to: "2022-02-18", now });
    await ingestMinuteBars({
      store,
      engine,
      source: alpacaMinuteSource({ baseUrl: url, keyId: "k", secret: "s" }),
      symbols: ["S0000"],
      from: "2022-02-16",
      to: "2022-02-22",
      now,
    });
    const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
    try {
      const q = { symbols: ["S0000"], start: "2022-02-16", end: "2022-02-18", sessions: ["regular" as const] };
      const raw = await lake.getMinuteBars(q), adjusted = await lake.getMinuteBars({ ...q, adjusted: true });
      const daily = await lake.getDailyBars({
        symbols: ["S0000"],
        start: "2022-02-16",
        end: "2022-02-18",
        adjusted: true,
      });
      assert.equal(adjusted.length, raw.length);
      for (const d of daily) {
        // A day's last regular minute closes at its daily close: adjusted, at its adjusted close.
        const last = adjusted.filter((m) => m.ts.startsWith(d.date)).at(-1)!;
        assert.equal(last.close, d.close, d.date);
      }
      const [before, on] = [
        raw.findIndex((m) => m.ts.startsWith("2022-02-17")),
        raw.findIndex((m) => m.ts.startsWith("2022-02-18")),
      ];
      // Before the split: half the price and twice the volume; from the split on, as traded.
      assert.ok(Math.abs(adjusted[before].open - raw[before].open / 2) < 0.0001);
      assert.equal(adjusted[before].volume, raw[before].volume * 2);
      assert.deepEqual(adjusted[on], raw[on]);
      // Resampled bars are made from the adjusted minutes.
      const hourly = await lake.getMinuteBars({ ...q, adjusted: true, interval: 60 });
      assert.equal(hourly.at(-1)!.close, daily.at(-1)!.close);
      // 2022-02-22 has minute bars but no daily bar in the lake: adjusting it cannot be done.
      await assert.rejects(
        () => lake.getMinuteBars({ ...q, end: "2022-02-22", adjusted: true }),
        (e) =>
          e instanceof SqlError &&
          /^Cannot adjust the minute bars of S0000 on 2022-02-22: the lake has no daily bar/.test(e.message),
      );
      // The CLI exports the same adjusted minutes.
      const cli = await capture(() =>
        main([
          "query",
          "--symbols",
          "S0000",
          "--minute",
          "--adjusted",
          "--from",
          "2022-02-16",
          "--to",
          "2022-02-18",
          "--format",
          "json",
          "--lake",
          root,
        ])
      );
      assert.equal(cli.code, 0, cli.err);
      const everySession = await lake.getMinuteBars({ ...q, sessions: undefined, adjusted: true });
      assert.deepEqual(
        JSON.parse(cli.out).map((m: { ts: string; close: number }) => [m.ts, m.close]),
        everySession.map((m) => [m.ts, m.close]),
      );
    } finally {
      lake.close();
    }
  });
});
