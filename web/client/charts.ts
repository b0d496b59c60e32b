/// <reference lib="dom" />
/**
 * Chart functions: each takes rows and options and returns `Plot.plot(...)`.
 * @module
 */
import * as Plot from "@observablehq/plot";
import type { IndicatorRow } from "./indicators.ts";
import { labelsThatFit } from "./labels.ts";

export interface Bar {
  date: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  dividend: number;
  split_ratio: number;
}

type Sized = { width: number; height?: number };
const d = (s: string) => new Date(`${s}T00:00:00Z`);

/** Candlesticks with optional SMA and Bollinger overlays, and dividend/split markers. */
export function dailyPlot(
  rows: (Bar & IndicatorRow)[],
  { width, height = 360, overlays = true, title }: Sized & { overlays?: boolean; title?: string },
) {
  const dividends = rows.filter((r) => r.dividend > 0);
  const splits = rows.filter((r) => r.split_ratio !== 1);
  return Plot.plot({
    width,
    height,
    title,
    marginLeft: 56,
    x: { type: "utc", label: null },
    y: { grid: true, label: "price (USD)" },
    color: { domain: [-1, 0, 1], range: ["#d62728", "#999", "#2ca02c"] },
    marks: [
      ...(overlays
        ? [
          Plot.areaY(rows.filter((r) => r.bbUpper !== undefined), {
            x: (r) => d(r.date),
            y1: "bbLower",
            y2: "bbUpper",
            fill: "#4e79a7",
            fillOpacity: 0.08,
          }),
          Plot.lineY(rows, { x: (r) => d(r.date), y: "sma20", stroke: "#f28e2b", strokeWidth: 1.2 }),
          Plot.lineY(rows, { x: (r) => d(r.date), y: "sma50", stroke: "#76b7b2", strokeWidth: 1.2 }),
        ]
        : []),
      Plot.ruleX(rows, { x: (r) => d(r.date), y1: "low", y2: "high", stroke: (r) => Math.sign(r.close - r.open) }),
      Plot.ruleX(rows, {
        x: (r) => d(r.date),
        y1: "open",
        y2: "close",
        stroke: (r) => Math.sign(r.close - r.open),
        strokeWidth: rows.length > 300 ? 2 : 4,
      }),
      Plot.dot(dividends, {
        x: (r) => d(r.date),
        y: "low",
        dy: 10,
        fill: "#4e79a7",
        r: 4,
        symbol: "triangle",
        title: (r) => `dividend ${r.dividend}`,
      }),
      Plot.text(splits, {
        x: (r) => d(r.date),
        y: "high",
        dy: -12,
        text: (r) => `split ${r.split_ratio}:1`,
        fill: "#b07aa1",
      }),
      Plot.tip(
        rows,
        Plot.pointerX({
          x: (r) => d(r.date),
          y: "close",
          title: (r) => `${r.date}\nO ${r.open} H ${r.high}\nL ${r.low} C ${r.close}\nV ${r.volume.toLocaleString()}`,
        }),
      ),
    ],
  });
}

export function volumePlot(rows: Bar[], { width, height = 120 }: Sized) {
  return Plot.plot({
    width,
    height,
    marginLeft: 56,
    x: { type: "utc", label: null },
    y: { grid: true, label: "volume", tickFormat: "s" },
    marks: [Plot.rectY(rows, { x: (r) => d(r.date), interval: "day", y: "volume", fill: "#888", inset: 0 })],
  });
}

/** One session's minute closes, with each minute's high-low range behind them. */
export function intradayPlot(
  rows: { ts: string; session: string; high: number; low: number; close: number }[],
  { width, height = 220, title }: Sized & { title?: string },
) {
  const t = (r: { ts: string }) => new Date(r.ts);
  return Plot.plot({
    width,
    height,
    title,
    marginLeft: 56,
    x: { type: "utc", label: "time (UTC)" },
    y: { grid: true, label: "price (USD)" },
    // The thin pre- and post-market trading in grey, apart from the session's line.
    color: { domain: ["pre", "regular", "post"], range: ["#999", "#1f77b4", "#999"], legend: true },
    marks: [
      Plot.ruleX(rows, { x: t, y1: "low", y2: "high", stroke: "#ddd" }),
      Plot.lineY(rows, { x: t, y: "close", z: "session", stroke: "session" }),
    ],
  });
}

export function rsiPlot(rows: (Bar & IndicatorRow)[], { width, height = 120 }: Sized) {
  return Plot.plot({
    width,
    height,
    marginLeft: 56,
    x: { type: "utc", label: null },
    y: { domain: [0, 100], label: "RSI(14)", ticks: [30, 50, 70] },
    marks: [
      Plot.ruleY([30, 70], { stroke: "#ccc" }),
      Plot.lineY(rows, { x: (r) => d(r.date), y: "rsi", stroke: "#e15759" }),
    ],
  });
}

export function macdPlot(rows: (Bar & IndicatorRow)[], { width, height = 140 }: Sized) {
  const ok = rows.filter((r) => r.macd !== undefined);
  return Plot.plot({
    width,
    height,
    marginLeft: 56,
    x: { type: "utc", label: null },
    y: { grid: true, label: "MACD(12,26,9)" },
    marks: [
      Plot.rectY(ok.filter((r) => r.histogram !== undefined), {
        x: (r) => d(r.date),
        interval: "day",
        y: "histogram",
        fill: (r) => (r.histogram! >= 0 ? "#59a14f" : "#e15759"),
      }),
      Plot.lineY(ok, { x: (r) => d(r.date), y: "macd", stroke: "#4e79a7" }),
      Plot.lineY(ok.filter((r) => r.signal !== undefined), { x: (r) => d(r.date), y: "signal", stroke: "#f28e2b" }),
      Plot.ruleY([0]),
    ],
  });
}

/** Several symbols' growth of $1 over the window. */
export function comparePlot(rows: { symbol: string; date: string; growth: number }[], { width, height = 380 }: Sized) {
  return Plot.plot({
    width,
    height,
    marginLeft: 56,
    x: { type: "utc", label: null },
    y: { grid: true, label: "growth of $1 (adjusted)" },
    color: { legend: true },
    marks: [Plot.ruleY([1]), Plot.lineY(rows, { x: (r) => d(r.date), y: "growth", stroke: "symbol", tip: true })],
  });
}

export function correlationPlot(rows: { a: string; b: string; corr: number }[], { width }: Sized) {
  // Cells of about 56 px: a few symbols need no half-screen matrix.
  const side = Math.min(width, 520, 112 + 56 * new Set(rows.map((r) => r.a)).size);
  return Plot.plot({
    width: side,
    height: side,
    marginLeft: 64,
    marginBottom: 48,
    x: { label: null, tickRotate: -30 },
    y: { label: null },
    color: { type: "linear", domain: [-1, 1], scheme: "RdBu", legend: true, label: "correlation of daily returns" },
    marks: [
      Plot.cell(rows, { x: "a", y: "b", fill: "corr", tip: true }),
      Plot.text(rows, {
        x: "a",
        y: "b",
        text: (r) => r.corr?.toFixed(2),
        fill: (r) => (Math.abs(r.corr) > 0.6 ? "white" : "black"),
      }),
    ],
  });
}

export function coveragePlot(rows: { symbol: string; year: number; completeness: number }[], { width }: Sized) {
  const symbols = [...new Set(rows.map((r) => r.symbol))];
  return Plot.plot({
    width,
    height: 40 + 22 * symbols.length,
    marginLeft: 72,
    x: { label: null, tickFormat: "d" },
    y: { label: null },
    color: { type: "linear", domain: [0, 1], scheme: "YlGn", legend: true, label: "share of NYSE sessions present" },
    marks: [Plot.cell(rows, { x: "year", y: "symbol", fill: "completeness", inset: 0.5, tip: true })],
  });
}

export function barsPlot(rows: { label: string; value: number }[], { width, label }: Sized & { label: string }) {
  return Plot.plot({
    width,
    height: 40 + 26 * Math.max(rows.length, 1),
    marginLeft: 140,
    x: { grid: true, label },
    y: { label: null, type: "band" },
    marks: [Plot.barX(rows, { x: "value", y: "label", fill: "#4e79a7", sort: { y: "-x" } }), Plot.ruleX([0])],
  });
}

/** Each symbol's risk against its trend on one day: volatility across, distance from SMA(50) up, liquidity as size. */
export function screenerPlot(
  rows: { symbol: string; volatility_20d: number | null; vs_sma_50: number | null; dollar_volume_20d: number | null }[],
  { width, height = 360 }: Sized,
) {
  // Percent values, so that the scales' domains, apply() and invert() all speak the plotted units.
  const pct = (v: number | null) => (typeof v === "number" ? v * 100 : NaN);
  const points = rows.map((d) => ({
    symbol: d.symbol,
    volatility: pct(d.volatility_20d),
    trend: pct(d.vs_sma_50),
    liquidity: d.dollar_volume_20d ?? NaN,
  }));
  const options = {
    width,
    height,
    marginLeft: 56,
    inset: 16,
    grid: true,
    x: { label: "20-day volatility (annualized, %)" },
    y: { label: "close vs SMA(50) (%)" },
    r: { range: [2, 14] },
  };
  // Every dot names its symbol on hover; the most liquid also get a label where it covers no other.
  const dots = Plot.dot(points, {
    x: "volatility",
    y: "trend",
    r: "liquidity",
    fill: "#4269d0",
    fillOpacity: 0.6,
    title: (p: (typeof points)[number]) =>
      `${p.symbol}\nvolatility ${p.volatility.toFixed(1)}%\nvs SMA(50) ${p.trend.toFixed(1)}%\n` +
      `$ volume 20d ${(p.liquidity / 1e6).toFixed(1)} M`,
    tip: true,
  });
  // Plot draws every label it is given, so they are laid out on the scales of a first rendering,
  // each just above its own dot.
  const first = Plot.plot({ ...options, marks: [Plot.ruleY([0]), dots] });
  const [x, y, r] = (["x", "y", "r"] as const).map((k) => first.scale(k));
  if (!x || !y || !r) return first; // nothing on the scales to label
  const byLiquidity = points.filter((p) => p.liquidity >= 0).sort((a, b) => b.liquidity - a.liquidity);
  const at = byLiquidity.map((p) => ({ x: x.apply(p.volatility), y: y.apply(p.trend), r: r.apply(p.liquidity) }));
  const labels = labelsThatFit(at.map((a, i) => ({ ...a, text: byLiquidity[i].symbol })), { width, height })
    .map((i) => ({ ...byLiquidity[i], top: y.invert!(at[i].y - at[i].r - 2) }));
  return Plot.plot({
    ...options,
    x: { ...options.x, domain: x.domain },
    y: { ...options.y, domain: y.domain },
    marks: [
      Plot.ruleY([0]),
      dots,
      Plot.text(labels, { x: "volatility", y: "top", text: "symbol", lineAnchor: "bottom", fontSize: 10 }),
    ],
  });
}
