/**
 * The dashboard in a real browser: headless Chromium against the Hono server over a lake built by
 * the offline pipeline, with every non-localhost request blocked. Screenshots go to tests/artifacts/.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { layout } from "../lake/layout.ts";
import { createWasmEngine } from "../lake/parquet/wasm_engine.ts";
import { INDICATORS_DAILY } from "../lake/schemas/indicators_daily.ts";
import { DuckDBInstance } from "@duckdb/node-api";
import { openLake } from "../lake/query.ts";
import { createLocalStore } from "../lake/store_local.ts";
import { listRuns } from "../lake/runs.ts";
import { lockHolder, StoreError } from "../lake/store.ts";
import { createApp } from "../web/server.ts";
import { launchBrowser } from "./support/browser.ts";
import { makeDemoLake } from "./support/demo_lake.ts";
import { simulatedCompanyFacts } from "../pipelines/replay/facts_sim.ts";

const ARTIFACTS = new URL("./artifacts/", import.meta.url);

async function withDashboard(
  fn: (base: string, page: Page, blocked: string[], lake: Awaited<ReturnType<typeof makeDemoLake>>) => Promise<void>,
) {
  const lake = await makeDemoLake();
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, createApp({ store: lake.store }).fetch);
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const blocked: string[] = [];
    await context.route("**/*", (route) => {
      const host = new URL(route.request().url()).hostname;
      if (host === "127.0.0.1" || host === "localhost") return route.continue();
      blocked.push(route.request().url());
      return route.abort();
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await fn(`http://127.0.0.1:${server.addr.port}`, page, blocked, lake);
    assert.deepEqual(errors, [], "no uncaught errors in the page");
  } finally {
    await browser.close();
    await server.shutdown();
  }
}

/** The text of the file the page's "Download CSV" button saves. */
async function downloaded(page: Page): Promise<string> {
  const [file] = await Promise.all([page.waitForEvent("download"), page.click("button.download")]);
  return await Deno.readTextFile((await file.path())!);
}

async function rendered(page: Page, path: string, name: string) {
  await page.goto(path);
  await page.waitForSelector("#app[data-rendered]", { timeout: 60_000 });
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: new URL(`${name}.png`, ARTIFACTS).pathname, fullPage: true });
}

/**
 * Run `script` in the page: two submits of the view's form in one task, so both requests are in
 * flight. Only the later may draw: a view is drawn, and once the earlier has had time to finish
 * too, still just one.
 */
async function submittedTwice(page: Page, script: string) {
  const drawn = `Number(document.querySelector("#app").dataset.rendered ?? 0)`;
  const before = await page.evaluate(drawn);
  await page.evaluate(`{${script}}`);
  await page.waitForFunction(`${drawn} > ${before}`);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await page.evaluate(drawn), Number(before) + 1, "one view drawn");
}

Deno.test({
  name: "dashboard pages render charts from the lake, offline, and match the query API",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withDashboard(async (base, page, blocked, demo) => {
      await rendered(page, `${base}/?page=symbol&symbol=AAPL&start=2024-06-03&end=2024-09-30&adjusted=0`, "symbol");
      for (const id of ["price-chart", "volume-chart", "rsi-chart", "macd-chart"]) {
        assert.ok(await page.locator(`#${id} svg`).count() >= 1, `${id} has an SVG`);
      }
      assert.ok(await page.locator("#price-chart svg line").count() > 100, "candlestick rules drawn");
      const lefts = await Promise.all(
        ["price-chart", "volume-chart", "rsi-chart", "macd-chart"].map((id) =>
          page.locator(`#${id} svg`).first().evaluate((e) => Math.round(e.getBoundingClientRect().left))
        ),
      );
      assert.equal(new Set(lefts).size, 1, `the stacked panels share one x axis: their left edges are ${lefts}`);
      const shown = Object.fromEntries(
        await page.locator("#summary dd").evaluateAll((dds) =>
          dds.map((d) => [d.getAttribute("data-key"), d.textContent])
        ),
      );
      const lake = await openLake({ store: demo.store, cacheDir: await Deno.makeTempDir() });
      const bars = await lake.getDailyBars({ symbols: ["AAPL"], start: "2024-06-03", end: "2024-09-30" });
      lake.close();
      assert.equal(Number(shown["bars"]), bars.length);
      assert.equal(shown["first"], bars[0].date);
      assert.equal(Number(shown["last close"]), bars[bars.length - 1].close);
      assert.equal(Number(shown["high"]), Math.max(...bars.map((b) => b.high)));
      assert.equal(Number(shown["low"]), Math.min(...bars.map((b) => b.low)));
      assert.equal(shown["indicators from"], "page (120-day warm-up)", "as traded: computed in the page");
      // The CSV download holds the bars shown, as the query API returns them.
      const csv = (await downloaded(page)).trim().split("\n").map((line) => line.split(","));
      assert.deepEqual(csv[0], [
        "date",
        "open",
        "high",
        "low",
        "close",
        "adj_close",
        "volume",
        "dividend",
        "split_ratio",
        "source",
      ]);
      assert.deepEqual(
        csv.slice(1).map(([date, open, , , close, , volume, , , source]) => [date, +open, +close, +volume, source]),
        bars.map((b) => [b.date, b.open, b.close, b.volume, b.source]),
      );

      // Adjusted, the overlays are the lake's indicators_daily (whole-history warm-up), not the page's own.
      await rendered(page, `${base}/?page=symbol&symbol=AAPL&start=2024-06-03&end=2024-09-30`, "symbol_adjusted");
      const adjusted = Object.fromEntries(
        await page.locator("#summary dd").evaluateAll((dds) =>
          dds.map((d) => [d.getAttribute("data-key"), d.textContent])
        ),
      );
      const tableApi = await openLake({ store: demo.store, cacheDir: await Deno.makeTempDir() });
      const [stored] = await tableApi.sql<{ rsi: number; vol: number; atr: number; dollars: number }>(
        `SELECT rsi_14 AS rsi, volatility_20d AS vol, atr_14 AS atr, dollar_volume_20d AS dollars
         FROM indicators_daily WHERE symbol = 'AAPL' AND date = $1::DATE`,
        [bars.at(-1)!.date],
      );
      tableApi.close();
      assert.equal(adjusted["indicators from"], "lake (indicators_daily)");
      assert.equal(adjusted["last RSI(14)"], stored.rsi.toFixed(2));
      assert.equal(adjusted["20-day volatility"], `${(stored.vol * 100).toFixed(1)}%`);
      assert.equal(adjusted["ATR(14)"], stored.atr.toFixed(2));
      assert.equal(adjusted["20-day $ volume"], `$${(stored.dollars / 1e6).toFixed(1)}M`);
      assert.equal(shown["ATR(14)"], "n/a", "as traded, the table's adjusted features are not shown");
      assert.ok(await page.locator("#rsi-chart svg path").count() >= 1, "the RSI line drawn");
      // The 10-Ks filed by 2024-09-30: FY2023's (filed in February) but not FY2024's (filed in 2025).
      const annual = await page.locator("#fundamentals tbody tr").first().locator("td").allTextContents();
      const facts = simulatedCompanyFacts(320193, "Apple Inc.", new Date()).facts["us-gaap"] as Record<
        string,
        { units: Record<string, { end: string; val: number; form: string }[]> }
      >;
      const fy2023 = facts.Revenues.units.USD.find((f) => f.form === "10-K" && f.end === "2023-12-31")!;
      assert.deepEqual(annual.slice(0, 2), ["2023-12-31", (fy2023.val / 1e6).toFixed(1)]);
      assert.match((await page.locator("#fundamentals h2").textContent())!, /simulated/);

      // A link without symbol or range: the page defaults to the newest year's first symbol and last day.
      await rendered(page, `${base}/?page=symbol`, "symbol_defaults");
      const extentApi = await openLake({ store: demo.store, cacheDir: await Deno.makeTempDir() });
      const [extent] = await extentApi.sql<{ symbol: string; last: string }>(
        `SELECT min(symbol) AS symbol, max(date)::VARCHAR AS last FROM daily_bars
         WHERE year(date) = (SELECT max(year(date)) FROM daily_bars)`,
      );
      extentApi.close();
      assert.equal(await page.inputValue("#symbol"), extent.symbol);
      assert.equal(await page.inputValue("#end"), extent.last);
      assert.ok(await page.locator("#price-chart svg").count() >= 1, "the default view draws its chart");
      await rendered(page, `${base}/?page=symbol&symbol=AAPL&start=2024-06-03&end=2024-09-30&adjusted=0`, "symbol");

      // Switching symbols re-renders from the URL state.
      await page.fill("#symbol", "MSFT");
      await page.locator("#symbol").dispatchEvent("change");
      await page.waitForSelector('#app[data-rendered="2"]');
      assert.match(page.url(), /symbol=MSFT/);
      assert.equal(await page.locator("#intraday-chart").count(), 0, "no minute bars before December");
      assert.match(
        (await page.locator("#no-minutes").textContent())!,
        /No minute bars of MSFT on or before 2024-09-30/,
      );
      // The view's statements are prepared once per text, and the oldest closed past 16. Ranges over
      // every pair of years make 20 of them; the first range, prepared again, still shows the API's
      // bars. (Leaving the symbol box for a date box fires its change too: the later request wins.)
      const years = [2021, 2022, 2023, 2024];
      const rangeApi = await openLake({ store: demo.store, cacheDir: await Deno.makeTempDir() });
      for (const [a, b] of [...years.flatMap((a) => years.filter((b) => b >= a).map((b) => [a, b])), [2021, 2021]]) {
        const [start, end] = [`${a}-01-04`, `${b}-12-30`];
        await page.fill("#start", start);
        await page.fill("#end", end);
        await page.click("form.controls button");
        const bars = await rangeApi.getDailyBars({ symbols: ["MSFT"], start, end });
        const shown = [bars.length, bars[0].date, bars.at(-1)!.date].map(String);
        // A string predicate: it runs in the page, where this file's types do not reach.
        await page.waitForFunction(`["bars", "first", "last"]
          .map((k) => document.querySelector('#summary dd[data-key="' + k + '"]')?.textContent).join() === "${shown}"`);
      }
      rangeApi.close();
      // Two requests in one task, so both are in flight: the earlier (to 2024-12-30) must not add
      // its 10-Ks, or anything, to the later view (to 2023-06-30), whose own come last.
      const before = Number(await page.locator("#app").getAttribute("data-rendered"));
      await page.evaluate(`{
        const [form, start, end] = ["form.controls", "#start", "#end"].map((q) => document.querySelector(q));
        start.value = "2021-01-04", end.value = "2024-12-30", form.requestSubmit();
        start.value = "2023-06-01", end.value = "2023-06-30", form.requestSubmit();
      }`);
      await page.waitForFunction(`Number(document.querySelector("#app").dataset.rendered) > ${before}`);
      assert.equal(await page.locator("#app").getAttribute("data-rendered"), String(before + 1), "one view drawn");
      assert.equal(await page.locator('#summary dd[data-key="last"]').textContent(), "2023-06-30");
      const yearEnds = await page.locator("#fundamentals tbody tr td:first-child").allTextContents();
      assert.equal(await page.locator("#fundamentals").count(), 1);
      assert.ok(yearEnds.length && yearEnds.every((d) => d <= "2023-06-30"), yearEnds.join());

      // The demo lake holds a week of minute bars for its first symbols: the last session is drawn.
      await rendered(page, `${base}/?page=symbol&symbol=AAPL&start=2024-10-01&end=2024-12-31`, "symbol_intraday");
      const minutesApi = await openLake({ store: demo.store, cacheDir: await Deno.makeTempDir() });
      const last = await minutesApi.getMinuteBars({ symbols: ["AAPL"], start: "2024-12-31", end: "2024-12-31" });
      const friday = await minutesApi.getMinuteBars({ symbols: ["AAPL"], start: "2024-12-27", end: "2024-12-27" });
      minutesApi.close();
      // The whole New York day: its pre-market, its session, and its post-market, which runs into
      // January in UTC and so into the next month's partition (the replay's clock is today's).
      assert.deepEqual([last[0].session, last.at(-1)!.session], ["pre", "post"]);
      assert.ok(last.at(-1)!.ts > "2025-01-01T00:00:00Z", last.at(-1)!.ts);
      assert.equal(await page.locator("#intraday-chart").getAttribute("data-minutes"), String(last.length));
      assert.match((await page.locator("#intraday-chart").textContent())!, /2024-12-31/);
      assert.ok(await page.locator("#intraday-chart svg path").count() >= 1, "the closes drawn as a line");
      // A Sunday picked: the session on or before it, Friday's, replaces the last one.
      await page.fill("#minute-day", "2024-12-29");
      await page.locator("#minute-day").dispatchEvent("change");
      await page.waitForSelector('#intraday-chart[data-day="2024-12-27"]');
      assert.ok(friday.length > 390, `${friday.length} minutes`);
      assert.equal(await page.locator("#intraday-chart").getAttribute("data-minutes"), String(friday.length));
      assert.match((await page.locator("#intraday-chart").textContent())!, /2024-12-27/);

      await rendered(page, `${base}/?page=compare&symbols=AAPL,MSFT,NVDA&start=2023-01-03&end=2024-12-31`, "compare");
      assert.ok(await page.locator("#compare-chart svg path").count() >= 3, "one line per symbol");
      assert.equal(await page.locator("#correlation-chart svg rect").count() >= 9, true);
      await submittedTwice(
        page,
        `const [form, symbols, start] = ["form.controls", "#symbols", "#start"].map((q) => document.querySelector(q));
        symbols.value = "AAPL,MSFT,NVDA,TSLA", start.value = "2021-01-04", form.requestSubmit();
        symbols.value = "MSFT", start.value = "2024-06-03", form.requestSubmit();`,
      );
      assert.equal(await page.locator("#compare-chart").getAttribute("data-symbols"), "MSFT");

      // The screener: every symbol on the newest day, as indicators_daily has it, in dollar-volume order.
      await rendered(page, `${base}/?page=screener`, "screener");
      const featuresApi = await openLake({ store: demo.store, cacheDir: await Deno.makeTempDir() });
      const day = await featuresApi.sql<{ symbol: string; dv: number; vol: number; mom: number }>(
        `SELECT symbol, dollar_volume_20d AS dv, volatility_20d AS vol, momentum_12_1 AS mom FROM indicators_daily
         WHERE date = (SELECT max(date) FROM indicators_daily) ORDER BY dv DESC, symbol`,
      );
      featuresApi.close();
      const shownSymbols = () => page.locator("#app tbody tr td:first-child").allTextContents();
      assert.equal(day.length, demo.symbols.length);
      assert.deepEqual(await shownSymbols(), day.map((r) => r.symbol));
      assert.match((await page.locator("#screener-day").textContent())!, /5 of 5 symbols on 2024-12-31/);
      assert.equal(await page.locator("#screener-chart svg circle").count(), day.length, "a dot per symbol");
      // Labels go to the most liquid first, never over one another (labels_test.ts sets up clashes; these five
      // symbols are far apart); hovering any dot names its symbol.
      const labels = await page.locator('#screener-chart svg g[aria-label="text"] text').evaluateAll((texts) =>
        texts.map((t) => {
          const b = t.getBoundingClientRect();
          return { text: t.textContent, left: b.left, right: b.right, top: b.top, bottom: b.bottom };
        })
      );
      assert.equal(labels[0]?.text, day[0].symbol);
      for (const [i, a] of labels.entries()) {
        for (const b of labels.slice(i + 1)) {
          const overlap = a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
          assert.ok(!overlap, `labels ${a.text} and ${b.text} overlap`);
        }
      }
      await page.locator("#screener-chart svg circle").first().hover();
      const tip = await page.waitForFunction(
        `document.querySelector('#screener-chart svg g[aria-label="tip"]')?.textContent || undefined`,
      );
      assert.match(String(await tip.jsonValue()), new RegExp(`^\\W*${day[0].symbol}\\W+volatility`));
      const cells = await page.locator("#app tbody tr").first().locator("td").allTextContents();
      assert.equal(cells[3], `${(day[0].vol * 100).toFixed(1)}%`);
      // A minimum dollar volume between the second and third symbols keeps two; sorting by volatility reorders.
      await page.fill("#min-volume", String((day[1].dv + day[2].dv) / 2 / 1e6));
      await page.click("form.controls button");
      await page.waitForSelector('#app[data-rendered="2"]');
      assert.deepEqual(await shownSymbols(), day.slice(0, 2).map((r) => r.symbol));
      await page.selectOption("#sort", "volatility_20d");
      await page.waitForSelector('#app[data-rendered="3"]');
      assert.deepEqual(await shownSymbols(), day.slice(0, 2).sort((a, b) => b.vol - a.vol).map((r) => r.symbol));
      assert.match(page.url(), /sort=volatility_20d/);
      await page.selectOption("#sort", "momentum_12_1");
      await page.waitForSelector('#app[data-rendered="4"]');
      const byMomentum = day.slice(0, 2).sort((a, b) => b.mom - a.mom);
      assert.deepEqual(await shownSymbols(), byMomentum.map((r) => r.symbol));
      const momentumCells = await page.locator("#app tbody tr td:nth-child(9)").allTextContents();
      assert.deepEqual(momentumCells, byMomentum.map((r) => `${(r.mom * 100).toFixed(1)}%`));

      await rendered(page, `${base}/?page=coverage`, "coverage");
      assert.ok(
        await page.locator("#coverage-chart svg rect").count() >= demo.symbols.length,
        "a cell per symbol and year",
      );

      // A job holding a table's lock shows on the Pipeline page, as long as it holds it.
      const held = await demo.store.lock(layout.lock("daily_bars"), lockHolder("ingest_daily"));
      await rendered(page, `${base}/?page=pipeline`, "pipeline");
      await held.release();
      assert.ok(await page.locator("#rows-chart svg rect").count() >= 1);
      const lockRow = await page.locator("#locks tbody tr td").allTextContents();
      assert.deepEqual(lockRow.slice(0, 4), ["daily_bars", "held", "ingest_daily", String(Deno.pid)]);
      // The fixture's one failure (a company without a CIK) is listed under its chart.
      const failure = await page.locator("#failures-chart + .table-wrap tbody tr td").allTextContents();
      assert.deepEqual(failure.slice(1, 4), ["S0001", "sec", "no_cik"]);
      // Without failures the sentence says so, and no empty table follows it.
      for (const r of await listRuns(demo.store)) if (r.failures.length) await demo.store.delete(layout.run(r.run_id));
      await rendered(page, `${base}/?page=pipeline`, "pipeline_no_failures");
      assert.equal(await page.locator("#no-failures").textContent(), "No failures recorded.");
      assert.equal(await page.locator("#no-locks").textContent(), "No job holds a lock.");
      assert.equal(await page.locator("#no-failures + h2").textContent(), "Provider health");

      await page.goto(`${base}/?page=sql`);
      await page.waitForSelector("#views:has-text('over the views')");
      assert.match(
        (await page.locator("#views").textContent())!,
        /views daily_bars, fundamentals, indicators_daily, indicators_latest, minute_bars, symbols\.$/,
      );
      await page.fill("#sql", "SELECT count(*) AS n FROM daily_bars WHERE symbol = 'TSLA'");
      await page.click("#run");
      await page.waitForSelector("#row-count");
      const cell = await page.locator("#result td").first().textContent();
      const api = await openLake({ store: demo.store, cacheDir: await Deno.makeTempDir() });
      const [{ n }] = await api.sql<{ n: number }>("SELECT count(*)::INT AS n FROM daily_bars WHERE symbol = 'TSLA'");
      assert.equal(Number(cell), n);
      // DECIMAL columns read as their values, negatives too, not as unscaled 128-bit integers.
      const decimals =
        "SELECT macd, -macd AS negated FROM indicators_daily WHERE symbol = 'TSLA' AND date = DATE '2024-06-14'";
      await page.fill("#sql", decimals);
      await page.click("#run");
      await page.waitForSelector("#result th:text-is('macd')");
      const [want] = await api.sql<{ macd: number; negated: number }>(decimals);
      api.close();
      assert.ok(want.macd !== 0);
      assert.deepEqual(await page.locator("#result td").allTextContents(), [
        want.macd.toFixed(4),
        want.negated.toFixed(4),
      ]);
      await page.screenshot({ path: new URL("sql.png", ARTIFACTS).pathname, fullPage: true });

      await submittedTwice(
        page,
        `const sql = document.querySelector("#sql");
        sql.value = "SELECT * FROM daily_bars", sql.form.requestSubmit();
        sql.value = "SELECT 42 AS answer", sql.form.requestSubmit();`,
      );
      assert.equal(await page.locator("#row-count").textContent(), "1 rows");
      // No rows, and still the columns they would have had.
      await page.fill("#sql", "SELECT symbol, close FROM daily_bars WHERE symbol = 'NOPE'");
      await page.click("#run");
      await page.waitForSelector("#row-count:text-is('0 rows')");
      assert.deepEqual(await page.locator("#result th").allTextContents(), ["symbol", "close"]);
      assert.equal(await downloaded(page), "symbol,close\n");
      await page.fill("#sql", "SELECT * FROM no_such_table");
      await page.click("#run");
      await page.waitForSelector("#result .error");
      assert.match((await page.locator("#result .error").textContent())!, /no_such_table/);
      await page.fill("#sql", "DELETE FROM daily_bars");
      await page.click("#run");
      await page.waitForSelector("#result .error");
      assert.match((await page.locator("#result .error").textContent())!, /read-only/);
      await page.screenshot({ path: new URL("sql_error.png", ARTIFACTS).pathname, fullPage: true });

      for (const path of ["/lake/..%2f..%2fetc%2fpasswd", "/lake/state/runs/", "/lake/curated/..%5cdeno.json"]) {
        const res = await page.request.get(`${base}${path}`);
        assert.ok([400, 404].includes(res.status()), `${path} -> ${res.status()}`);
      }
      // A lake written before the features: its indicators partitions have the first 11 columns and
      // there is no indicators_latest. The Symbol view still draws the table's overlays; the
      // features read "n/a" and the Screener says what to run.
      const engine = createWasmEngine();
      const older = INDICATORS_DAILY.slice(0, INDICATORS_DAILY.findIndex((c) => c.name === "return_1d"));
      for (const o of await demo.store.list(layout.curatedPrefix("indicators_daily"))) {
        await demo.store.put(
          o.key,
          await engine.encode(await engine.decode((await demo.store.get(o.key))!, older), older),
        );
      }
      // An indicators_latest from before momentum and the 52-week high: those columns show empty.
      const beforeMomentum = INDICATORS_DAILY.filter((c) => !["momentum_12_1", "high_52w_ratio"].includes(c.name));
      const latest = await engine.decode((await demo.store.get(layout.indicatorsLatest))!, beforeMomentum);
      await demo.store.put(layout.indicatorsLatest, await engine.encode(latest, beforeMomentum));
      await rendered(page, `${base}/?page=screener`, "screener_before_momentum");
      const olderCells = await page.locator("#app tbody tr").first().locator("td").allTextContents();
      assert.deepEqual([olderCells[0], olderCells[8], olderCells[9]], [day[0].symbol, "", ""]);
      await demo.store.delete(layout.indicatorsLatest);
      await rendered(page, `${base}/?page=symbol&symbol=AAPL&start=2024-06-03&end=2024-09-30`, "symbol_older_lake");
      const olderView = Object.fromEntries(
        await page.locator("#summary dd").evaluateAll((dds) =>
          dds.map((d) => [d.getAttribute("data-key"), d.textContent])
        ),
      );
      assert.equal(olderView["indicators from"], "lake (indicators_daily)");
      assert.match(olderView["last RSI(14)"], /^\d+\.\d\d$/);
      assert.deepEqual([olderView["ATR(14)"], olderView["20-day volatility"]], ["n/a", "n/a"]);
      await rendered(page, `${base}/?page=screener`, "screener_older_lake");
      assert.match((await page.locator("#no-features").textContent())!, /deno task indicators/);

      assert.deepEqual(blocked, [], "the dashboard asked for nothing outside localhost");
    });
  },
});

Deno.test({
  name: "a page open while an ingest replaces a partition takes the new catalog and reads the new partition",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withDashboard(async (base, page, _blocked, demo) => {
      const view = `${base}/?page=symbol&symbol=MSFT&start=2024-06-03&end=2024-09-30&adjusted=0`;
      await rendered(page, view, "symbol_before_ingest");
      // A revision of every 2023 close, written as the lake writes: a new file renamed over the old.
      // The page's catalog still names the old one, which the server now refuses ranges of (412).
      const file = `${demo.root}/${layout.dailyBarsPartition(2023)}`;
      const db = await DuckDBInstance.create(":memory:");
      const conn = await db.connect();
      await conn.run(`COPY (SELECT * REPLACE ((close + 1)::DECIMAL(18,4) AS close, (high + 1)::DECIMAL(18,4) AS high)
        FROM read_parquet('${file}') ORDER BY symbol, date) TO '${file}.tmp' (FORMAT parquet)`);
      conn.closeSync();
      await Deno.rename(`${file}.tmp`, file);
      await page.fill("#start", "2023-06-01");
      await page.fill("#end", "2023-09-29");
      await page.click("form.controls button");
      await page.waitForFunction(`document.querySelector('#summary dd[data-key="last"]')?.textContent === "2023-09-29"`)
        .catch(async (e) => {
          throw new Error(`${e.message}\npage: ${(await page.locator("#app").textContent())?.slice(0, 400)}`);
        });
      const lake = await openLake({ store: demo.store, cacheDir: await Deno.makeTempDir() });
      const [bar] = await lake.getDailyBars({ symbols: ["MSFT"], start: "2023-09-29", end: "2023-09-29" });
      lake.close();
      assert.equal(await page.locator('#summary dd[data-key="last close"]').textContent(), String(bar.close));
    });
  },
});

Deno.test({
  name: "the dashboard says the lake is unavailable while its store is out of reach",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const local = createLocalStore(await Deno.makeTempDir());
    const down = new StoreError("Cannot list s3://bucket/lake/: cannot reach http://10.0.0.1:9000");
    const store = { ...local, list: () => Promise.reject(down) };
    const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, createApp({ store }).fetch);
    const browser = await launchBrowser();
    const { error } = console;
    console.error = () => {}; // the server logs each failed request
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${server.addr.port}/?page=symbol`);
      await page.waitForSelector("#app[data-rendered]", { timeout: 120_000 });
      assert.equal(await page.locator("#app").getAttribute("data-rendered"), "error");
      assert.match(String(await page.locator("#app").textContent()), /The lake is unavailable: see the server's log/);
    } finally {
      console.error = error;
      await browser.close();
      await server.shutdown();
    }
  },
});
