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
