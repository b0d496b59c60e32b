/**
 * Minute bars resampled by the query API, against an oracle computed here from the one-minute
 * bars with the platform's own New York clock (Intl), across a clock change and an early close.
 */
import assert from "node:assert/strict";
import { createWasmEngine } from "../lake/parquet/wasm_engine.ts";
import { type MinuteBarRow, openLake } from "../lake/query.ts";
import { createLocalStore } from "../lake/store_local.ts";
import { ingestMinuteBars } from "../pipelines/jobs/ingest_minute.ts";
import { alpacaMinuteSource } from "../pipelines/jobs/minute_sources.ts";
import { startReplayServer } from "../pipelines/replay/server.ts";
import { main } from "../main.ts";
import { capture } from "./support/capture.ts";

const NOW = () => new Date("2024-12-02T23:00:00Z");
const SESSION_START = { pre: 240, regular: 570, post: 960 };
const newYork = new Intl.DateTimeFormat("en-US", {
  timeZone: "America/New_York",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});

/** The expected bars of `k` minutes, grouped from one-minute bars by their New York wall time. */
function oracle(minutes: MinuteBarRow[], k: number) {
  const out = new Map<string, MinuteBarRow & { minutes: number; notional: number }>();
  for (const m of minutes) {
    const [h, min] = newYork.format(new Date(m.ts)).split(":").map(Number);
    const past = (h * 60 + min - SESSION_START[m.session]) % k;
    const ts = new Date(Date.parse(m.ts) - past * 60_000).toISOString().replace(".000Z", "Z");
    const key = `${m.symbol} ${m.session} ${ts}`;
    const b = out.get(key);
    if (!b) out.set(key, { ...m, ts, minutes: 1, notional: (m.vwap ?? 0) * m.volume });
    else {
      Object.assign(b, {
        high: Math.max(b.high, m.high),
        low: Math.min(b.low, m.low),
        close: m.close,
        volume: b.volume + m.volume,
        trades: b.trades === null || m.trades === null ? null : b.trades + m.trades,
        minutes: b.minutes + 1,
        notional: b.notional + (m.vwap ?? 0) * m.volume,
      });
    }
  }
  return [...out.values()];
}

Deno.test("getMinuteBars({interval}) matches bars grouped by New York time, across DST and an early close", async () => {
  const replay = await startReplayServer({ port: 0, hostname: "127.0.0.1", now: NOW });
  const root = await Deno.makeTempDir();
  const store = createLocalStore(root);
  try {
    const source = alpacaMinuteSource({ baseUrl: replay.url, keyId: "k", secret: "s" });
    const engine = createWasmEngine();
    // Friday 2024-03-08 (EST) and Monday 2024-03-11 (EDT), and Friday 2024-11-29 (closes at 13:00).
    for (const [from, to] of [["2024-03-08", "2024-03-11"], ["2024-11-29", "2024-11-29"]]) {
      const r = await ingestMinuteBars({ store, engine, source, symbols: ["AAPL", "MSFT"], from, to, now: NOW });
      assert.equal(r.symbols_ok, 2);
    }
  } finally {
    await replay.close();
  }
  const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
  try {
    const q = { symbols: ["AAPL", "MSFT"] };
    const minutes = await lake.getMinuteBars(q);
    assert.ok(minutes.length > (390 * 2 + 210) * 2, `${minutes.length} minutes`);
    for (const k of [5, 30, 60, 390]) {
      const bars = await lake.getMinuteBars({ ...q, interval: k });
      const want = oracle(minutes, k);
      assert.equal(bars.length, want.length, `${k}-minute bars`);
      bars.forEach((b, i) => {
        const w = want[i];
        const at = `${k}m ${b.symbol} ${b.ts}`;
        assert.deepEqual(
          [b.symbol, b.ts, b.session, b.open, b.high, b.low, b.close, b.volume, b.trades, b.minutes],
          [w.symbol, w.ts, w.session, w.open, w.high, w.low, w.close, w.volume, w.trades, w.minutes],
          at,
        );
        assert.ok(Math.abs(b.vwap! - w.notional / w.volume) < 1e-6, `${at} vwap`);
        assert.ok(b.raw_ref.split(" ").every((ref) => ref.startsWith("raw/alpaca/")), at);
      });
      assert.ok(bars.every((b) => b.minutes! <= k));
    }
    // Whole regular sessions at 390: 09:30 New York is 14:30Z in winter, 13:30Z in summer; the
    // early close holds 210 minutes.
    const sessions = (await lake.getMinuteBars({ symbols: ["AAPL"], sessions: ["regular"], interval: 390 }))
      .map((b) => [b.ts, b.minutes]);
    assert.deepEqual(sessions, [
      ["2024-03-08T14:30:00Z", 390],
      ["2024-03-11T13:30:00Z", 390],
      ["2024-11-29T14:30:00Z", 210],
    ]);
    const hourly = await lake.getMinuteBars({
      symbols: ["AAPL"],
      start: "2024-03-11",
      end: "2024-03-11",
      interval: 60,
    });
    assert.deepEqual(
      hourly.filter((b) => b.session === "regular").map((b) => b.ts.slice(11, 16)),
      ["13:30", "14:30", "15:30", "16:30", "17:30", "18:30", "19:30"],
      "hours start at 09:30 New York, and the last holds 30 minutes",
    );
    for (const bad of [0, 391, 2.5]) {
      assert.throws(() => lake.minuteBarsSql({ ...q, interval: bad }), /from 1 to 390/);
    }

    // The CLI prints the API's bars.
    const cli = await capture(() =>
      main(["query", "--symbols", "AAPL", "--minute", "--interval", "30", "--format", "json", "--lake", root])
    );
    assert.equal(cli.code, 0, cli.err);
    assert.deepEqual(JSON.parse(cli.out), await lake.getMinuteBars({ symbols: ["AAPL"], interval: 30 }));
    const alone = await capture(() => main(["query", "--symbols", "AAPL", "--interval", "30", "--lake", root]));
    assert.deepEqual([alone.code, alone.err], [
      2,
      "error: Cannot make bars of '30' from daily bars: use day, week or month (bars of N minutes come from minute bars)",
    ]);
  } finally {
    lake.close();
  }
});
