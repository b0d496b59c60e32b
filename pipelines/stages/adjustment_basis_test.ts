import assert from "node:assert/strict";
import { isoToDays } from "../../lake/schemas/columns.ts";
import type { LakeBasis } from "../../lake/daily_reader.ts";
import { restateFrom } from "./adjustment_basis.ts";

const d = isoToDays;
const reply = (rows: [string, number, number][]) => ({
  length: rows.length,
  columns: {
    date: Float64Array.from(rows, (r) => d(r[0])),
    close: Float64Array.from(rows, (r) => r[1]),
    adj_close: Float64Array.from(rows, (r) => r[2]),
  },
});
const lake = (firstDay: string, bars: [string, number, number][]): LakeBasis => ({
  firstDay: d(firstDay),
  bars: new Map(bars.map(([day, close, adj]) => [d(day), { close, adj }])),
});
const held = lake("2021-01-04", [["2022-02-10", 383.3, 383.3], ["2022-02-11", 396.11, 396.11]]);

Deno.test("restateFrom() asks for the symbol again from its first bar when a shared day's adjustment moved", () => {
  // A 2:1 split on 2022-02-18 halved every earlier adj_close in the new reply.
  const afterSplit = reply([["2022-02-10", 383.3, 191.65], ["2022-02-11", 396.11, 198.055]]);
  assert.equal(restateFrom(held, afterSplit)?.from, d("2021-01-04"));
  // A cent of dividend on an $83 stock moves the ratio by 1.2 bp.
  const smallDividend = lake("2020-01-02", [["2024-08-01", 83, 82.5]]);
  assert.equal(restateFrom(smallDividend, reply([["2024-08-01", 83, 82.4901]]))?.from, d("2020-01-02"));
  // A $0.20 dividend on a $10 stock moves the ratio by 2%.
  const small = lake("2020-01-02", [["2024-05-01", 10, 9.7]]);
  assert.equal(restateFrom(small, reply([["2024-05-01", 10, 9.5059]]))?.from, d("2020-01-02"));
  // On a $2 stock four-decimal rounding can move the ratio by 2 bp; a $0.002 dividend moves it by 10.
  const twoDollar = lake("2020-01-02", [["2024-05-01", 2, 1.98]]);
  assert.equal(restateFrom(twoDollar, reply([["2024-05-01", 2, 1.978]]))?.from, d("2020-01-02"));
});

Deno.test("restateFrom() leaves the symbol be on the same basis, a revised bar, or no earlier lake bars", () => {
  assert.equal(restateFrom(held, reply([["2022-02-10", 383.3, 383.3], ["2022-02-11", 396.11, 396.11]])), undefined);
  // Another provider's basis, 0.45 bp off (Yahoo against Alpha Vantage), is the same basis.
  const otherProvider = reply([["2022-02-10", 383.3, 383.3 * (1 - 0.45e-4)], ["2022-02-11", 396.11, 396.11]]);
  assert.equal(restateFrom(held, otherProvider), undefined);
  // A revised close with the same adjustment ratio, within four-decimal rounding of a cheap stock.
  const cheap = lake("2020-01-02", [["2024-05-01", 0.5123, 0.4987]]);
  assert.equal(restateFrom(cheap, reply([["2024-05-01", 0.5125, 0.4989]])), undefined);
  // A tick of rounding in a 50-cent stock's adj_close: 2 bp of the ratio, still the same basis.
  const fiftyCents = lake("2020-01-02", [["2024-05-01", 0.5, 0.495]]);
  assert.equal(restateFrom(fiftyCents, reply([["2024-05-01", 0.5, 0.4951]])), undefined);
  // The reply reaches back to the lake's first bar: it restates everything itself.
  assert.equal(restateFrom(held, reply([["2021-01-04", 300, 150], ["2022-02-10", 383.3, 191.65]])), undefined);
  // No lake bars at all, or an empty reply.
  assert.equal(restateFrom(undefined, reply([["2022-02-10", 383.3, 191.65]])), undefined);
  assert.equal(restateFrom(held, reply([])), undefined);
});

Deno.test("restateFrom() fetches the symbol whole when the lake has earlier bars but none of the reply's days", () => {
  // Daily runs that failed for weeks left a gap: the basis cannot be compared, and the gap wants filling.
  assert.deepEqual(restateFrom(held, reply([["2022-03-01", 200, 200]])), {
    from: d("2021-01-04"),
    reason: "the lake has no bar where the reply begins, so its basis cannot be compared",
  });
});
