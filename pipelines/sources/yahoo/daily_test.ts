import assert from "node:assert/strict";
import { daysToIso, isoToDays, num, str } from "../../../lake/schemas/columns.ts";
import { ProviderError } from "../http.ts";
import { parseChartBody } from "./client.ts";
import { toDailyBars } from "./daily.ts";

const ALL = { fromDay: 0, toDay: 100_000 };

async function load(name: string, symbol: string, range = ALL) {
  const body = await Deno.readFile(new URL(`./testdata/${name}`, import.meta.url));
  return toDailyBars(parseChartBody(body, symbol), { symbol, ...range });
}

function row(b: ReturnType<typeof toDailyBars>["batch"], iso: string) {
  const i = Array.from(num(b, "date")).indexOf(isoToDays(iso));
  assert.ok(i >= 0, `no bar on ${iso}`);
  const pick = (k: string) => num(b, k)[i];
  return {
    open: pick("open"),
    close: pick("close"),
    adj: pick("adj_close"),
    volume: pick("volume"),
    dividend: pick("dividend"),
    split: pick("split_ratio"),
    source: str(b, "source")[i],
  };
}

Deno.test("toDailyBars() undoes the split adjustment for bars before a split (NVDA 4:1 on 2021-07-20)", async () => {
  const { batch } = await load("historical-via-chart-NVDA-split-2021-02-01-to-2022-01-31.body.json", "NVDA");
  const before = row(batch, "2021-07-19");
  // The reply's close for 2021-07-19 is 18.77975082397461 and its volume 749060000.
  assert.equal(before.close, Math.round(18.77975082397461 * 4 * 1e4) / 1e4);
  assert.equal(before.volume, 749060000 / 4);
  assert.equal(before.adj, 18.7443);
  const on = row(batch, "2021-07-20");
  assert.equal(on.split, 4);
  assert.equal(on.close, 18.612);
  assert.equal(row(batch, "2021-07-21").split, 1);
});

Deno.test("toDailyBars() places dividends on their ex-dates and the split on its day (AAPL 2020)", async () => {
  const { batch } = await load("chart-AAPL-2020-08-31-to-2020-11-07.bodyJson.json", "AAPL");
  assert.equal(daysToIso(num(batch, "date")[0]), "2020-08-31");
  assert.equal(row(batch, "2020-08-31").split, 4);
  assert.equal(row(batch, "2020-11-06").dividend, 0.205);
  assert.equal(num(batch, "dividend").filter((d) => d > 0).length, 1);
  assert.equal(row(batch, "2020-08-31").close, 129.04);
  assert.equal(row(batch, "2020-08-31").source, "yahoo");
});

Deno.test("toDailyBars() undoes a later split on dividends too, sums a day's dividends and drops zero prices", () => {
  // AAPL's $0.82 dividend of 2020-08-07, as Yahoo shows it after the 4:1 split of 2020-08-31: 0.205,
  // with the day's prices divided by 4 and its volume multiplied by 4. 2020-08-10 carries two
  // dividend events under different keys, and an open and low of 0 (as some old Yahoo bars have).
  const [aug7, aug10, aug31] = [1596807000, 1597066200, 1598880600];
  const f32 = Math.fround;
  const chart = {
    chart: {
      result: [{
        meta: { symbol: "AAPL", gmtoffset: -14400 },
        timestamp: [aug7, aug10, aug31],
        events: {
          dividends: {
            [aug7]: { amount: 0.205, date: aug7 },
            [aug10]: { amount: 0.1, date: aug10 },
            [aug10 + 60]: { amount: 0.05, date: aug10 + 60 },
            [aug10 + 86_400]: { amount: 0.3, date: aug10 + 86_400 },
          },
          splits: { [aug31]: { date: aug31, numerator: 4, denominator: 1 } },
        },
        indicators: {
          quote: [{
            open: [f32(452.82 / 4), 0, f32(127.58)],
            high: [f32(454.7 / 4), f32(455.1 / 4), f32(131)],
            low: [f32(441.17 / 4), 0, f32(126)],
            close: [f32(444.45 / 4), f32(450.91 / 4), f32(129.04)],
            volume: [49_511_403 * 4, 53_100_900 * 4, 225_702_700],
          }],
          adjclose: [{ adjclose: [108.9, 110.6, 126.8] }],
        },
      }],
    },
  };
  const { batch, warnings } = toDailyBars(chart, { symbol: "AAPL", ...ALL });
  const aug7Bar = row(batch, "2020-08-07");
  assert.deepEqual([aug7Bar.open, aug7Bar.close, aug7Bar.volume, aug7Bar.dividend], [452.82, 444.45, 49_511_403, 0.82]);
  assert.deepEqual(
    Array.from(num(batch, "date"), daysToIso),
    ["2020-08-07", "2020-08-31"],
    "the zero-open bar is dropped",
  );
  assert.deepEqual(warnings, [
    "inconsistent bar on 2020-08-10 (o=0 h=455.1 l=0 c=450.91): dropped",
    "dividend on 2020-08-10 has no bar",
    "dividend on 2020-08-11 has no bar",
  ]);
  // The day's two events, summed and scaled, would have been 0.6: checked on a reply that keeps the bar.
  const quote = chart.chart.result[0].indicators.quote[0];
  [quote.open[1], quote.low[1]] = [f32(445 / 4), f32(440 / 4)];
  assert.equal(row(toDailyBars(chart, { symbol: "AAPL", ...ALL }).batch, "2020-08-10").dividend, 0.6);
});

Deno.test("toDailyBars() finds all four MSFT dividends by event date", async () => {
  const { batch } = await load("historical-via-chart-MSFT-dividends-2021-02-01-to-2022-01-31.body.json", "MSFT");
  const divs = Array.from(num(batch, "date")).flatMap((d, i) =>
    num(batch, "dividend")[i] > 0 ? [[daysToIso(d), num(batch, "dividend")[i]]] : []
  );
  assert.deepEqual(divs, [["2021-02-17", 0.56], ["2021-05-19", 0.56], ["2021-08-18", 0.56], ["2021-11-17", 0.62]]);
});

Deno.test("toDailyBars() reads the whole TSLA history and keeps only the requested range", async () => {
  const all = await load("historical-via-chart-dividends-TSLA-no-dividends.body.json", "TSLA");
  assert.equal(all.batch.length, 3303);
  assert.equal(daysToIso(num(all.batch, "date")[0]), "2010-06-29");
  const some = await load("historical-via-chart-dividends-TSLA-no-dividends.body.json", "TSLA", {
    fromDay: isoToDays("2020-08-24"),
    toDay: isoToDays("2020-08-28"),
  });
  assert.deepEqual(Array.from(num(some.batch, "date"), daysToIso), [
    "2020-08-24",
    "2020-08-25",
    "2020-08-26",
    "2020-08-27",
    "2020-08-28",
  ]);
});

Deno.test("toDailyBars() keeps one bar per requested day from an intraday reply (next-day bar dropped)", async () => {
  const range = { fromDay: isoToDays("2024-10-02"), toDay: isoToDays("2024-10-02") };
  const { batch, warnings } = await load(
    "chart-AAPL-2024-10-02-to-2024-10-03-includePrePost-false-interval-1m.body.json",
    "AAPL",
    range,
  );
  // Read as daily, the 390 minute bars of one day collapse to one key per day: the last one wins.
  assert.equal(batch.length, 1);
  assert.ok(warnings.some((w) => w.startsWith("duplicate bar")));
});

Deno.test("toDailyBars() gives an empty batch for replies without timestamps", async () => {
  for (
    const f of ["noData.json", "chart-AAPL-2025-02-01-to-2025-02-02-includePrePost-false-interval-1m.bodyJson.json"]
  ) {
    const { batch } = await load(f, "X");
    assert.equal(batch.length, 0, f);
  }
});

Deno.test("toDailyBars() marks bars outside the replay server's real range as simulated", () => {
  const chart = {
    chart: {
      result: [{
        meta: { symbol: "X", gmtoffset: -18000, ticklake: { realFrom: 1704205800, realTo: 1704205800 } },
        timestamp: [1704205800, 1704292200],
        indicators: {
          quote: [{ open: [10, 11], high: [12, 12], low: [9, 10], close: [11, 11.5], volume: [100, 200] }],
        },
      }],
    },
  };
  const { batch } = toDailyBars(chart, { symbol: "X", ...ALL });
  assert.deepEqual(str(batch, "source"), ["yahoo", "simulated"]);
  assert.deepEqual(Array.from(num(batch, "adj_close")), [11, 11.5]);
});

Deno.test("parseChartBody() rejects HTML, truncated JSON and Yahoo's Not Found with ProviderError", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const reasons = [
    "<html><body>Will be right back</body></html>",
    '{"chart":{"result":[{"meta":{"symbol":"X"',
    '{"chart":{"result":[{"meta":{}}]}}',
    '{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}',
  ].map((body) => {
    try {
      parseChartBody(enc(body), "X");
      return "parsed";
    } catch (e) {
      assert.ok(e instanceof ProviderError);
      return `${e.reason}:${e.retriable}`;
    }
  });
  assert.deepEqual(reasons, ["malformed:false", "malformed:false", "malformed:false", "not_found:false"]);
});
