/// <reference lib="dom" />
/**
 * Screener: every symbol on the lake's newest day, from `indicators_daily`: liquidity, risk, trend
 * and momentum side by side, filtered by dollar volume and sorted by any of them.
 * @module
 */
import { screenerPlot } from "../charts.ts";
import { latestFeatures } from "../db.ts";
import { getParam, h, loading, setParams, showError, table } from "../ui.ts";

const SORTS = {
  dollar_volume_20d: "20-day $ volume",
  volatility_20d: "20-day volatility",
  return_1d: "1-day return",
  rsi_14: "RSI(14)",
  vs_sma_50: "close vs SMA(50)",
  momentum_12_1: "momentum (12-1)",
  high_52w_ratio: "close vs 52-week high",
} as const;
type SortKey = keyof typeof SORTS;

export async function screenerPage(root: HTMLElement, { width }: { width: number }) {
  const minIn = h("input", { id: "min-volume", type: "number", min: "0", step: "any", value: getParam("min", "0") });
  const sortIn = h(
    "select",
    { id: "sort" },
    ...Object.entries(SORTS).map(([k, label]) => h("option", { value: k }, label)),
  );
  const sort = getParam("sort", "dollar_volume_20d");
  sortIn.value = sort in SORTS ? sort : "dollar_volume_20d";
  const form = h(
    "form",
    { class: "controls" },
    h("label", {}, "Min 20-day $ volume (M) ", minIn),
    h("label", {}, "Sort by ", sortIn),
    h("button", { type: "submit" }, "Screen"),
  );
  const out = h("section", {});
  root.replaceChildren(h("h1", {}, "Screener"), form, out);
  loading(out);
  let all: Record<string, unknown>[];
  try {
    all = await latestFeatures();
  } catch (e) {
    showError(out, e);
    root.dataset.rendered = "error";
    return;
  }
  let rendered = 0;
  const render = () => {
    const min = Number(minIn.value) * 1e6 || 0;
    const key = sortIn.value as SortKey;
    setParams({ page: "screener", min: minIn.value, sort: key });
    // A value still warming up (a young listing) sorts last and passes only a zero minimum.
    const num = (r: Record<string, unknown>, k: string) => (typeof r[k] === "number" ? r[k] as number : -Infinity);
    const rows = all.filter((r) => min <= 0 || num(r, "dollar_volume_20d") >= min)
      .sort((a, b) => (num(a, key) === num(b, key) ? 0 : num(a, key) < num(b, key) ? 1 : -1));
    if (!all.length) {
      out.replaceChildren(
        h("p", { class: "empty", id: "no-features" }, "No features yet: run `deno task indicators` (or an ingest)."),
      );
    } else {
      const pct = (x: unknown) => (typeof x === "number" ? `${(x * 100).toFixed(1)}%` : "");
      out.replaceChildren(
        h("p", { class: "note", id: "screener-day" }, `${rows.length} of ${all.length} symbols on ${all[0].date}`),
        h("figure", { class: "chart", id: "screener-chart" }, screenerPlot(rows as never, { width })),
        table(rows.map((r) => ({
          symbol: r.symbol,
          // Sub-dollar prices keep their four decimals.
          close: typeof r.adj_close === "number" ? r.adj_close.toFixed(r.adj_close < 1 ? 4 : 2) : "",
          "1-day": pct(r.return_1d),
          "vol 20d": pct(r.volatility_20d),
          "ATR % of price": pct(r.atr_share),
          "$ volume 20d (M)": typeof r.dollar_volume_20d === "number" ? (r.dollar_volume_20d / 1e6).toFixed(1) : "",
          "RSI(14)": typeof r.rsi_14 === "number" ? r.rsi_14.toFixed(1) : "",
          "vs SMA(50)": pct(r.vs_sma_50),
          "momentum 12-1": pct(r.momentum_12_1),
          "vs 52w high": typeof r.high_52w_ratio === "number" ? pct(r.high_52w_ratio - 1) : "",
        }))),
      );
      // Each symbol opens its own view.
      for (const td of out.querySelectorAll("tbody tr td:first-child")) {
        const symbol = td.textContent ?? "";
        td.replaceChildren(h("a", { href: `/?page=symbol&symbol=${encodeURIComponent(symbol)}` }, symbol));
      }
    }
    root.dataset.rendered = String(++rendered);
  };
  form.onsubmit = (e) => {
    e.preventDefault();
    render();
  };
  sortIn.onchange = render;
  render();
}
