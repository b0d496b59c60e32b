/**
 * Executes the research notebooks headless with Jupyter's nbconvert and the Deno kernel, over a
 * lake built by the offline demo pipeline, and checks what they printed against the query API.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createWasmEngine } from "../lake/parquet/wasm_engine.ts";
import { openLake } from "../lake/query.ts";
import type { ObjectStore } from "../lake/store.ts";
import { runDemoPipeline } from "../pipelines/jobs/demo.ts";
import { loadConfig } from "../config.ts";
import { openStore } from "../lake/open_store.ts";
import { startS3rver } from "./support/s3rver.ts";
import { simulatedCompanyFacts } from "../pipelines/replay/facts_sim.ts";
import { makeDemoLake } from "./support/demo_lake.ts";

/** One demo lake for both notebooks: daily bars for 2024, and minute bars for its last week. */
let demoLake: Promise<{ root: string; store: ObjectStore }> | undefined;
function demo() {
  return demoLake ??= (async () => {
    const root = await Deno.makeTempDir();
    const run = await runDemoPipeline({
      env: { TICKLAKE_LAKE: root },
      engine: createWasmEngine(),
      symbols: ["AAPL", "MSFT"],
      from: "2024-01-02",
      now: () => new Date("2024-12-31T23:00:00Z"),
    });
    await run.close();
    return { root, store: run.store };
  })();
}

/** Run a notebook; what it printed or displayed as text, and its HTML outputs. */
async function execute(name: string, env: Record<string, string>): Promise<{ text: string; html: string }> {
  const outDir = await Deno.makeTempDir();
  const out = await new Deno.Command("jupyter", {
    args: [
      "nbconvert",
      "--to",
      "notebook",
      "--execute",
      "--ExecutePreprocessor.timeout=300",
      new URL(`../notebooks/${name}`, import.meta.url).pathname,
      "--output-dir",
      outDir,
    ],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr).slice(-3000));
  type Output = { text?: string[]; data?: Record<string, string[]> };
  const nb = JSON.parse(await Deno.readTextFile(join(outDir, name)));
  const outputs: Output[] = nb.cells.flatMap((c: { outputs?: Output[] }) => c.outputs ?? []);
  return {
    // Printed text (streams) and displayed text alike.
    text: outputs.flatMap((o) => [...(o.text ?? []), ...(o.data?.["text/plain"] ?? [])]).join(""),
    html: outputs.map((o) => (o.data?.["text/html"] ?? []).join("")).join(""),
  };
}

async function lakeSql<T>(store: ObjectStore, query: string): Promise<T[]> {
  const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
  try {
    return await lake.sql<T>(query);
  } finally {
    lake.close();
  }
}

Deno.test("notebooks/daily_bars.ipynb runs in Jupyter and reports the lake's real counts", async () => {
  const { root, store } = await demo();
  const { text, html } = await execute("daily_bars.ipynb", { TICKLAKE_LAKE: root });
  const [want] = await lakeSql<{ bars: number }>(store, "SELECT count(*)::INT AS bars FROM daily_bars");
  assert.ok(want.bars > 400, `demo lake has ${want.bars} bars`);
  assert.match(text, new RegExp(`"symbols":2,"bars":${want.bars}`));
  assert.match(text, /plotted \d+ bars/);
  assert.match(html, /<svg[^>]*>.*<path/s, "the chart renders as SVG with a line path");
  // The features cell: each symbol's last-day volatility, recomputed here from the bars themselves.
  const vols = await lakeSql<{ symbol: string; vol: number }>(
    store,
    `WITH r AS (SELECT symbol, date, ln(adj_close::DOUBLE / lag(adj_close::DOUBLE) OVER (PARTITION BY symbol ORDER BY date)) AS lr
       FROM daily_bars QUALIFY row_number() OVER (PARTITION BY symbol ORDER BY date DESC) <= 20)
     SELECT symbol, round(stddev_samp(lr) * sqrt(252), 4)::DOUBLE AS vol FROM r GROUP BY symbol ORDER BY symbol`,
  );
  const shown = JSON.parse(/\{"snapshot":.*\}/.exec(text)![0]).snapshot as { symbol: string; vol_20d: number }[];
  assert.deepEqual(shown.map((r) => [r.symbol, r.vol_20d]), vols.map((v) => [v.symbol, v.vol]));
});

Deno.test("notebooks/minute_bars.ipynb runs in Jupyter and reports the lake's minute bars", async () => {
  const { root, store } = await demo();
  const { text, html } = await execute("minute_bars.ipynb", { TICKLAKE_LAKE: root });
  const held = await lakeSql<{ symbol: string; minutes: number; regular: number; sessions: number }>(
    store,
    `SELECT symbol, count(*)::INT AS minutes, count(*) FILTER (WHERE session = 'regular')::INT AS regular,
       count(DISTINCT ts::DATE) FILTER (WHERE session = 'regular')::INT AS sessions
     FROM minute_bars GROUP BY symbol ORDER BY symbol`,
  );
  // 2024-12-26, 27, 30 and 31: four sessions of 390 minutes for each symbol, and thin extended hours.
  assert.deepEqual(held.map(({ symbol, regular, sessions }) => ({ symbol, regular, sessions })), [
    { symbol: "AAPL", regular: 4 * 390, sessions: 4 },
    { symbol: "MSFT", regular: 4 * 390, sessions: 4 },
  ]);
  assert.ok(held.every((h) => h.minutes > h.regular), JSON.stringify(held));
  assert.ok(text.includes(JSON.stringify(held)), text.slice(0, 500));
  assert.match(text, /realized volatility of AAPL over 4 sessions/);
  assert.match(text, /plotted 390 minutes/);
  // The half-hour profile: 13 half hours from 09:30, shares summing to 1, the first one as the minutes say.
  const profile: { start: string; volume_share: number }[] = JSON.parse(/volume profile (\[.*?\])/.exec(text)![1]);
  assert.deepEqual([profile.length, profile[0].start, profile.at(-1)!.start], [13, "09:30", "15:30"]);
  assert.ok(Math.abs(profile.reduce((n, p) => n + p.volume_share, 0) - 1) < 1e-3);
  const [{ share }] = await lakeSql<{ share: number }>(
    store,
    `WITH d AS (SELECT symbol, ts::DATE AS day, volume,
         date_diff('minute', min(ts) OVER (PARTITION BY symbol, ts::DATE), ts) < 30 AS first
       FROM minute_bars WHERE session = 'regular')
     SELECT avg(s)::DOUBLE AS share FROM (SELECT sum(volume) FILTER (WHERE first) / sum(volume) AS s FROM d GROUP BY symbol, day)`,
  );
  assert.equal(profile[0].volume_share, Number(share.toFixed(4)));
  assert.match(html, /<svg[^>]*>.*<path/s, "the session renders as SVG with a line path");
});

Deno.test("notebooks/fundamentals.ipynb prices each day against the latest 10-K filed by then", async () => {
  const { root, store } = await demo();
  const { text, html } = await execute("fundamentals.ipynb", { TICKLAKE_LAKE: root });
  const shown = /\[\{"symbol":"AAPL".*?\}\]/.exec(text);
  assert.ok(shown, text.slice(0, 800));
  const latest: { symbol: string; date: string; close: number; eps: number; filed: string; pe: number }[] = JSON.parse(
    shown[0],
  );
  const apple = latest.find((r) => r.symbol === "AAPL")!;
  // The oracle: the replay's simulated 10-Ks, and the bar from the query API.
  const eps = (simulatedCompanyFacts(320193, "", new Date()).facts["us-gaap"] as Record<
    string,
    { units: Record<string, { end: string; val: number; form: string; filed: string }[]> }
  >).EarningsPerShareBasic.units["USD/shares"].filter((f) => f.form === "10-K" && f.filed <= apple.date).at(-1)!;
  const [bar] = await lakeSql<{ close: number }>(
    store,
    `SELECT close::DOUBLE AS close FROM daily_bars WHERE symbol = 'AAPL' AND date = '${apple.date}'`,
  );
  assert.deepEqual([apple.eps, apple.filed, apple.close], [eps.val, eps.filed, bar.close]);
  assert.equal(apple.pe, Math.round((bar.close / eps.val) * 100) / 100);
  assert.match(text, /plotted \d+ days of AAPL/);
  assert.match(html, /<svg[^>]*>.*<path/s, "the P/E line renders as SVG");
});

Deno.test("notebooks/momentum.ipynb ranks each month's symbols by 12-1 momentum and holds the top third a month", async () => {
  const { root, store, symbols } = await makeDemoLake();
  const { text, html } = await execute("momentum.ipynb", { TICKLAKE_LAKE: root });
  const shown = /\{"summary":.*?\]\}/.exec(text);
  assert.ok(shown, text.slice(0, 800));
  type Month = { month: string; winners: number; everyone: number; ranked: number };
  const { summary, months } = JSON.parse(shown[0]) as { summary: { months: number }; months: Month[] };

  // The oracle, from the bars alone: momentum from adj_close 252 and 21 bars back, each month's last bar,
  // the next month's return, the top third (ceil(n / 3)) by signal.
  const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
  const bars = await lake.getDailyBars({ symbols });
  lake.close();
  const ends = new Map<string, { symbol: string; signal: number; price: number; next?: number }[]>();
  for (const symbol of symbols) {
    const own = bars.filter((b) => b.symbol === symbol);
    const last = own.filter((b, i) => own[i + 1]?.date.slice(0, 7) !== b.date.slice(0, 7));
    last.forEach((b, k) => {
      const i = own.indexOf(b);
      if (i < 252 || k + 1 >= last.length) return;
      const signal = own[i - 21].adj_close / own[i - 252].adj_close - 1;
      const month = b.date.slice(0, 7);
      (ends.get(month) ?? ends.set(month, []).get(month)!).push({
        symbol,
        signal,
        price: b.adj_close,
        next: last[k + 1].adj_close / b.adj_close - 1,
      });
    });
  }
  const want: Month[] = [...ends].filter(([, rows]) => rows.length >= 3).sort().map(([month, rows]) => {
    rows.sort((a, b) => b.signal - a.signal || (a.symbol < b.symbol ? -1 : 1));
    const mean = (xs: typeof rows) => xs.reduce((s, r) => s + r.next!, 0) / xs.length;
    return {
      month,
      winners: mean(rows.slice(0, Math.ceil(rows.length / 3))),
      everyone: mean(rows),
      ranked: rows.length,
    };
  });
  assert.ok(want.length >= 24, `${want.length} months`);
  assert.equal(summary.months, want.length);
  assert.deepEqual(months.map((m) => [m.month, m.ranked]), want.map((m) => [m.month, m.ranked]));
  for (const [i, m] of months.entries()) {
    assert.ok(Math.abs(m.winners - want[i].winners) < 1e-9 && Math.abs(m.everyone - want[i].everyone) < 1e-9, m.month);
  }
  assert.match(text, new RegExp(`plotted ${want.length} months`));
  assert.match(html, /<svg[^>]*>.*<path/s, "the growth lines render as SVG");
});

Deno.test({
  name: "notebooks/daily_bars.ipynb reads an S3 lake when TICKLAKE_LAKE says s3://",
  sanitizeResources: false,
  async fn() {
    const { store } = await demo();
    const s3 = await startS3rver();
    try {
      const bucket = openStore(loadConfig(s3.env("nb")).lake);
      for (const o of await store.list("curated/")) await bucket.put(o.key, (await store.get(o.key))!);
      const [want] = await lakeSql<{ bars: number }>(store, "SELECT count(*)::INT AS bars FROM daily_bars");
      const { text } = await execute("daily_bars.ipynb", s3.env("nb"));
      assert.match(text, new RegExp(`"symbols":2,"bars":${want.bars}`));
    } finally {
      await s3.close();
    }
  },
});
