import assert from "node:assert/strict";
import { num } from "../../../lake/schemas/columns.ts";
import { toDailyBars } from "./daily.ts";
import { toMinuteBars } from "./minute.ts";
import { yahooPrice } from "./price.ts";

const f32 = Math.fround;

Deno.test("yahooPrice() turns the float32 of a whole-cent price back into that price, at any size", () => {
  for (const p of [0.01, 1, 13.05, 311.83, 1234.57, 3512.13, 8999.99, 65_535.99]) assert.equal(yahooPrice(f32(p)), p);
  // Past 2^17 a float32 step is over a cent: the nearest cent stands for the float (712,345.125).
  assert.equal(yahooPrice(f32(712_345.12)), 712_345.13);
});

Deno.test("yahooPrice() keeps the sub-cent prices a float32 can tell apart, and zero", () => {
  for (const p of [0.1234, 0.0001, 0.9999, 0.5055]) assert.equal(yahooPrice(f32(p)), p);
  // Above $1 too, as long as a float32 can still tell $0.0001 from the whole cent beside it.
  for (const p of [25.005, 120.0001]) assert.equal(yahooPrice(f32(p)), p);
  assert.equal(yahooPrice(0), 0);
});

Deno.test("yahooPrice() undoes a split adjustment back to whole cents, and keeps four decimals where no cent fits", () => {
  for (const [p, factor] of [[1234.57, 3], [600.12, 28], [40, 224], [4321.09, 20]]) {
    assert.equal(yahooPrice(f32(p / factor), factor), p);
  }
  // NVDA's reply lacks the later 10:1 split, so its bars stay at a tenth of their price: 75.119, not 75.12.
  assert.equal(yahooPrice(18.77975082397461, 4), 75.119);
});

const DAY_1 = 1704205800; // 2024-01-02 09:30 New York
const quote = (ps: number[]) => ps.map(f32);

Deno.test("toDailyBars() and toMinuteBars() store Yahoo's floats of prices over $1,000 as whole cents", () => {
  const chart = {
    chart: {
      result: [{
        meta: { symbol: "X", gmtoffset: -18000 },
        timestamp: [DAY_1, DAY_1 + 86_400],
        events: { splits: { [DAY_1 + 86_400]: { date: DAY_1 + 86_400, numerator: 2, denominator: 1 } } },
        indicators: {
          // Each price below is one that four-decimal rounding of its float32 gets wrong. The first bar
          // is halved by the 2:1 split on the second day.
          quote: [{
            open: quote([1234.57 / 2, 3450.06]),
            high: quote([1300.06 / 2, 3600.07]),
            low: quote([1100.06 / 2, 3400.08]),
            close: quote([1100.18 / 2, 3550.07]),
            volume: [100, 200],
          }],
        },
      }],
    },
  };
  const { batch } = toDailyBars(chart, { symbol: "X", fromDay: 0, toDay: 100_000 });
  assert.deepEqual([...num(batch, "open")], [1234.57, 3450.06]);
  assert.deepEqual([...num(batch, "high")], [1300.06, 3600.07]);
  assert.deepEqual([...num(batch, "low")], [1100.06, 3400.08]);
  assert.deepEqual([...num(batch, "close")], [1100.18, 3550.07]);
  // Minute bars carry no split events: the second bar, unadjusted.
  const { bars } = toMinuteBars(chart, { period1: DAY_1 + 86_400, period2: DAY_1 + 86_460 });
  assert.deepEqual(bars.map((b) => [b.open, b.high, b.low, b.close]), [[3450.06, 3600.07, 3400.08, 3550.07]]);
});

Deno.test("yahooPrice() gives whole cents for every price of Yahoo's real TSLA history once its splits are undone", async () => {
  const reply = JSON.parse(
    await Deno.readTextFile(
      new URL("./testdata/historical-via-chart-dividends-TSLA-no-dividends.body.json", import.meta.url),
    ),
  ).chart.result[0];
  // Fetched after TSLA's 5:1 split of 2020-08-31 and 3:1 of 2022-08-25: every earlier bar is divided by them.
  const factorOn = (iso: string) => iso < "2020-08-31" ? 15 : iso < "2022-08-25" ? 3 : 1;
  const quote = reply.indicators.quote[0];
  const offCents: string[] = [];
  let checked = 0;
  reply.timestamp.forEach((t: number, i: number) => {
    const iso = new Date(t * 1000).toISOString().slice(0, 10);
    for (const k of ["open", "high", "low", "close"]) {
      const price = yahooPrice(quote[k][i], factorOn(iso));
      checked++;
      if (Math.abs(price * 100 - Math.round(price * 100)) > 1e-6) offCents.push(`${iso} ${k} ${price}`);
    }
  });
  assert.equal(checked, 4 * 3303);
  // Four-decimal rounding of the floats left 35 of them off whole cents (those of a share over $1,000).
  assert.deepEqual(offCents, []);
});
