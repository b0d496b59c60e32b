/** computeIndicators() against technicalindicators, the library it replaced, as the reference. */
import assert from "node:assert/strict";
import { ATR, BollingerBands, MACD, RSI, SMA } from "technicalindicators";
import { num } from "../../lake/schemas/columns.ts";
import { computeIndicators, type SymbolHistory } from "./indicators.ts";
import { rollingMax } from "./series.ts";

/** A deterministic random walk in cents with highs and lows around it, and a 3:1 split-like drop at `splitAt`. */
function walk(n: number, seed: number, splitAt = -1): SymbolHistory {
  let state = seed, price = 40;
  const random = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  const h: SymbolHistory = {
    days: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    adjClose: new Float64Array(n),
    volume: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    price = Math.max(1, price * (1 + (random() - 0.5) * 0.06));
    if (i === splitAt) price /= 3;
    const close = Math.round(price * 100) / 100;
    h.days[i] = 15000 + i;
    h.close[i] = close;
    h.adjClose[i] = i < splitAt ? Math.round((close / 3) * 1e4) / 1e4 : close;
    h.high[i] = Math.round(close * (1 + random() * 0.03) * 100) / 100;
    h.low[i] = Math.round(close * (1 - random() * 0.03) * 100) / 100;
    h.volume[i] = Math.round(1e5 + random() * 1e6);
  }
  return h;
}

/** `reference` right-aligned with `got`; every value within `tolerance` of the other, NaN where the reference has none. */
function assertMatches(name: string, got: Float64Array, reference: (number | undefined)[], tolerance: number) {
  const head = got.length - reference.length;
  assert.ok(head >= 0, `${name}: the reference is longer`);
  for (let i = 0; i < got.length; i++) {
    const want = i < head ? undefined : reference[i - head];
    if (want === undefined) assert.ok(Number.isNaN(got[i]), `${name}[${i}] should be empty, is ${got[i]}`);
    else {
      assert.ok(
        Math.abs(got[i] - want) <= tolerance * Math.max(1, Math.abs(want)),
        `${name}[${i}]: ${got[i]} against ${want}`,
      );
    }
  }
}

const cases: [string, SymbolHistory][] = [
  ["a 17-year walk", walk(4276, 7)],
  ["a walk with a 3:1 split", walk(600, 11, 300)],
  ["a walk shorter than the slow windows", walk(30, 3)],
  ["a single bar", walk(1, 5)],
];

for (const [label, h] of cases) {
  Deno.test(`computeIndicators() on ${label} gives technicalindicators' values`, () => {
    const b = computeIndicators("X", h);
    const values = Array.from(h.adjClose);
    const factor = h.adjClose.map((a, i) => a / h.close[i]);
    assertMatches("sma_20", num(b, "sma_20"), SMA.calculate({ period: 20, values }), 1e-12);
    assertMatches("sma_50", num(b, "sma_50"), SMA.calculate({ period: 50, values }), 1e-12);
    const bands = BollingerBands.calculate({ period: 20, stdDev: 2, values });
    assertMatches("bb_upper", num(b, "bb_upper"), bands.map((x) => x.upper), 1e-9);
    assertMatches("bb_lower", num(b, "bb_lower"), bands.map((x) => x.lower), 1e-9);
    // The library rounds RSI to two decimals.
    assertMatches("rsi_14", num(b, "rsi_14"), RSI.calculate({ period: 14, values }), 0.005 + 1e-9);
    const m = MACD.calculate({
      values,
      fastPeriod: 12,
      slowPeriod: 26,
      signalPeriod: 9,
      SimpleMAOscillator: false,
      SimpleMASignal: false,
    });
    assertMatches("macd", num(b, "macd"), m.map((x) => x.MACD), 1e-9);
    assertMatches("macd_signal", num(b, "macd_signal"), m.map((x) => x.signal), 1e-9);
    assertMatches("macd_hist", num(b, "macd_hist"), m.map((x) => x.histogram), 1e-9);
    const high = Array.from(h.high, (x, i) => x * factor[i]), low = Array.from(h.low, (x, i) => x * factor[i]);
    assertMatches("atr_14", num(b, "atr_14"), ATR.calculate({ period: 14, high, low, close: values }), 1e-9);
    const dollars = Array.from(h.close, (c, i) => c * h.volume[i]);
    assertMatches(
      "dollar_volume_20d",
      num(b, "dollar_volume_20d"),
      SMA.calculate({ period: 20, values: dollars }),
      1e-12,
    );
  });
}

Deno.test("rollingMax() equals the highest value of each window, found by looking at all of it", () => {
  const x = walk(700, 13).adjClose;
  for (const period of [1, 5, 252]) {
    const got = rollingMax(x, period);
    for (let i = 0; i < x.length; i++) {
      const want = i < period - 1 ? NaN : Math.max(...x.subarray(i - period + 1, i + 1));
      assert.ok(Object.is(got[i], want), `period ${period}, index ${i}: ${got[i]} against ${want}`);
    }
  }
});

Deno.test("computeIndicators(): RSI is 100 over a period without losses and 0 over one without gains; flat prices have bands of width 0", () => {
  const n = 40;
  const up = Float64Array.from({ length: n }, (_, i) => 10 + i);
  const flat = new Float64Array(n).fill(10);
  const history = (close: Float64Array): SymbolHistory => ({
    days: close.map((_, i) => 15000 + i),
    high: close,
    low: close,
    close,
    adjClose: close,
    volume: close.map(() => 100),
  });
  assert.deepEqual([...num(computeIndicators("X", history(up)), "rsi_14").subarray(14)], new Array(n - 14).fill(100));
  assert.deepEqual(
    [...num(computeIndicators("X", history(up.reverse())), "rsi_14").subarray(14)],
    new Array(n - 14).fill(0),
  );
  const b = computeIndicators("X", history(flat));
  assert.deepEqual([num(b, "bb_upper")[19], num(b, "bb_lower")[19], num(b, "volatility_20d")[20]], [10, 10, 0]);
  assert.ok(Number.isNaN(num(b, "volatility_20d")[19]), "20 returns need 21 bars");
});
