/**
 * Yahoo chart reply -> daily bars as traded. Yahoo's open/high/low/close and volume are adjusted
 * for every split after the bar (as of the reply), and `adjclose` for splits and dividends; we
 * undo the split adjustment with the split events in the reply, so the caller must request
 * period2 up to today for all later splits to be there.
 * @module
 */
import { type Batch, roundPrice } from "../../../lake/schemas/columns.ts";
import { yahooPrice } from "./price.ts";
import type { YahooChart } from "./wire.ts";

const DAY_S = 86_400;
const r6 = (x: number) => Math.round(x * 1_000_000) / 1_000_000;

export interface DailyBarsOptions {
  /** Canonical symbol written into the rows. */
  symbol: string;
  /** Inclusive range in epoch days; bars outside it are dropped. */
  fromDay: number;
  toDay: number;
}

/**
 * Convert a parsed chart reply into daily-bar columns (without the lineage columns).
 *
 * @example An empty reply gives an empty batch
 * ```ts
 * import { toDailyBars } from "./daily.ts";
 * const chart = { chart: { result: [{ meta: { symbol: "X" }, indicators: { quote: [{}] } }] } };
 * if (toDailyBars(chart, { symbol: "X", fromDay: 0, toDay: 99999 }).batch.length !== 0) throw new Error();
 * ```
 */
export function toDailyBars(chart: YahooChart, opts: DailyBarsOptions): { batch: Batch; warnings: string[] } {
  const warnings: string[] = [];
  const r = chart.chart.result?.[0];
  const ts = r?.timestamp ?? [];
  const q = r?.indicators.quote[0] ?? {};
  const adj = r?.indicators.adjclose?.[0]?.adjclose;
  // Daily bars are stamped at the open (09:30 New York), so the exchange's UTC offset gives the
  // trading date; either EST or EDT lands on the same day.
  const offset = r?.meta.gmtoffset ?? -5 * 3600;
  const dayOf = (t: number) => Math.floor((t + offset) / DAY_S);
  const replay = r?.meta.ticklake;
  const isReal = (t: number) =>
    !replay || (replay.realFrom !== null && replay.realTo !== null && t >= replay.realFrom && t <= replay.realTo);

  const splits = Object.values(r?.events?.splits ?? {}).map((s) => ({
    day: dayOf(s.date),
    ratio: s.numerator / s.denominator,
  }));
  const splitOn = new Map<number, number>();
  for (const s of splits) splitOn.set(s.day, (splitOn.get(s.day) ?? 1) * s.ratio);
  const dividendOn = new Map<number, number>();
  for (const d of Object.values(r?.events?.dividends ?? {})) {
    dividendOn.set(dayOf(d.date), (dividendOn.get(dayOf(d.date)) ?? 0) + d.amount);
  }
  if (!adj && ts.length) warnings.push("no adjclose in reply: adj_close is the split-adjusted close");

  // Keep the last bar per day, in day order. Replies are nearly always in order already, so the
  // map-and-sort path only runs when they are not.
  const dayOfBar = new Float64Array(ts.length);
  let ordered = true;
  for (let i = 0; i < ts.length; i++) {
    dayOfBar[i] = dayOf(ts[i]);
    if (i > 0 && dayOfBar[i] <= dayOfBar[i - 1]) ordered = false;
  }
  let picked: ArrayLike<number>;
  if (ordered) {
    // In order, the bars in range are one contiguous run.
    let first = 0, end = ts.length;
    while (first < end && dayOfBar[first] < opts.fromDay) first++;
    while (end > first && dayOfBar[end - 1] > opts.toDay) end--;
    const run = new Int32Array(end - first);
    for (let k = 0; k < run.length; k++) run[k] = first + k;
    picked = run;
  } else {
    const byDay = new Map<number, number>();
    for (let i = 0; i < ts.length; i++) {
      const day = dayOfBar[i];
      if (day < opts.fromDay || day > opts.toDay) continue;
      if (byDay.has(day)) warnings.push(`duplicate bar for day ${isoDay(day)}: kept the later one`);
      byDay.set(day, i);
    }
    picked = [...byDay.keys()].sort((a, b) => a - b).map((d) => byDay.get(d)!);
  }
  const n = picked.length;
  const cols = {
    symbol: new Array<string | null>(n).fill(opts.symbol),
    date: new Float64Array(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    adj_close: new Float64Array(n),
    volume: new Float64Array(n),
    dividend: new Float64Array(n),
    split_ratio: new Float64Array(n).fill(1),
    source: new Array<string | null>(n),
  };
  const { open: qo, high: qh, low: ql, close: qc, volume: qv } = q;
  // Bars are in day order, so events are walked alongside them instead of looked up per bar.
  const divDays = [...dividendOn.keys()].sort((a, b) => a - b);
  const splitDays = [...splitOn.keys()].sort((a, b) => a - b);
  // Every split after a bar scaled its prices down and its volume up: the factor for bars before
  // splitDays[k] is the product of the ratios from k on (in event order, as Yahoo lists them).
  const laterFactor = splitDays.map((day) => {
    let f = 1;
    for (const sp of splits) if (sp.day >= day) f *= sp.ratio;
    return f;
  });
  // (Indices are bounds-checked before reading: an out-of-range read is V8's slow path.)
  let nextDiv = 0, nextSplit = 0, out = 0;
  for (let p = 0; p < n; p++) {
    const i = picked[p];
    const day = dayOfBar[i];
    while (nextSplit < splitDays.length && splitDays[nextSplit] <= day) nextSplit++;
    while (nextDiv < divDays.length && divDays[nextDiv] < day) nextDiv++;
    const o = qo?.[i], h = qh?.[i], l = ql?.[i], c = qc?.[i];
    if (o == null || h == null || l == null || c == null) {
      warnings.push(`all-null or partial bar on ${isoDay(day)}: dropped`);
      continue;
    }
    const factor = nextSplit < splitDays.length ? laterFactor[nextSplit] : 1;
    const open = yahooPrice(o, factor),
      high = yahooPrice(h, factor),
      low = yahooPrice(l, factor),
      close = yahooPrice(c, factor);
    if (
      !(open > 0 && high > 0 && low > 0 && close > 0) || low > Math.min(open, close) || high < Math.max(open, close)
    ) {
      warnings.push(`inconsistent bar on ${isoDay(day)} (o=${open} h=${high} l=${low} c=${close}): dropped`);
      continue;
    }
    const vol = qv?.[i];
    if (vol == null) warnings.push(`no volume on ${isoDay(day)}: set to 0`);
    cols.date[out] = day;
    cols.open[out] = open;
    cols.high[out] = high;
    cols.low[out] = low;
    cols.close[out] = close;
    const a = adj?.[i];
    cols.adj_close[out] = a == null ? yahooPrice(c) : roundPrice(a);
    cols.volume[out] = Math.round((vol ?? 0) / factor);
    if (nextDiv < divDays.length && divDays[nextDiv] === day) cols.dividend[out] = r6(dividendOn.get(day)! * factor);
    if (nextSplit > 0 && splitDays[nextSplit - 1] === day) cols.split_ratio[out] = splitOn.get(day)!;
    cols.source[out] = isReal(ts[i]) ? "yahoo" : "simulated";
    out++;
  }
  if (dividendOn.size) {
    const unmatched = new Set([...dividendOn.keys()].filter((d) => d >= opts.fromDay && d <= opts.toDay));
    for (let i = 0; i < out; i++) unmatched.delete(cols.date[i]);
    for (const day of unmatched) warnings.push(`dividend on ${isoDay(day)} has no bar`);
  }
  const columns: Batch["columns"] = {};
  for (const [k, v] of Object.entries(cols)) columns[k] = out === n ? v : v.slice(0, out);
  return { batch: { length: out, columns }, warnings };
}

function isoDay(day: number): string {
  return new Date(day * DAY_S * 1000).toISOString().slice(0, 10);
}
