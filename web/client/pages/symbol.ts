/// <reference lib="dom" />
/**
 * Symbol view: candlesticks with SMA/Bollinger overlays, dividend and split markers, volume, RSI
 * and MACD panels, a summary, the last session's minute bars where the lake has them, and the bars
 * as a table with CSV download.
 * @module
 */
import { type Bar, dailyPlot, intradayPlot, macdPlot, rsiPlot, volumePlot } from "../charts.ts";
import {
  annualFundamentals,
  hasDailyBars,
  hasIndicators,
  hasMinuteBars,
  lakeExtent,
  lastSessionMinutes,
  type Row,
  symbolBars,
  symbolIndicators,
} from "../db.ts";
import { type IndicatorRow, indicators } from "../indicators.ts";
import { downloadButton, getParam, h, loading, requests, setParams, showError, table } from "../ui.ts";

/** Extra days fetched before the range so that 50-day averages and MACD are warm at its start. */
const WARMUP_DAYS = 120;

const DAILY_COLUMNS = "date open high low close adj_close volume dividend split_ratio source".split(" ");

/** A symbol's last five fiscal years from its 10-Ks, or nothing when the lake has none. */
function fundamentalsTable(facts: Row[]): HTMLElement | undefined {
  if (!facts.length) return undefined;
  const years = new Map<string, Row>();
  for (const f of facts) {
    (years.get(f.period_end as string) ?? years.set(f.period_end as string, {}).get(f.period_end as string)!)[
      f.concept as string
    ] = f.value;
  }
  const millions = (v: unknown) => (typeof v === "number" ? (v / 1e6).toFixed(1) : "");
  const rows = [...years].reverse().slice(0, 5).map(([end, v]) => ({
    "fiscal year end": end,
    "revenue $M": millions(v.Revenues),
    "net income $M": millions(v.NetIncomeLoss),
    "EPS basic": typeof v.EarningsPerShareBasic === "number" ? v.EarningsPerShareBasic.toFixed(2) : "",
    "assets $M": millions(v.Assets),
  }));
  const simulated = facts.some((f) => f.source === "simulated");
  return h(
    "section",
    { id: "fundamentals" },
    h("h2", {}, `Fundamentals (10-K, as filed by then${simulated ? "; simulated" : ""})`),
    table(rows),
  );
}

/** `indicators_daily` rows as overlays, one per bar; undefined unless the table has every bar's day. */
function storedIndicators(bars: Row[], stored: Row[]): IndicatorRow[] | undefined {
  const byDate = new Map(stored.map((r) => [r.date, r]));
  if (!bars.every((b) => byDate.has(b.date))) return undefined;
  const v = (x: unknown) => (x == null ? undefined : x as number);
  return bars.map((b) => {
    const r = byDate.get(b.date)!;
    return {
      sma20: v(r.sma_20),
      sma50: v(r.sma_50),
      bbUpper: v(r.bb_upper),
      bbLower: v(r.bb_lower),
      rsi: v(r.rsi_14),
      macd: v(r.macd),
      signal: v(r.macd_signal),
      histogram: v(r.macd_hist),
    };
  });
}

export async function symbolPage(root: HTMLElement, { width }: { width: number }) {
  // A link that names symbol and range needs no defaults, so the footer read is skipped.
  const linked = ["symbol", "start", "end"].every((k) => getParam(k));
  const { symbol: first, last } = linked && await hasDailyBars()
    ? { symbol: getParam("symbol"), last: getParam("end") }
    : await lakeExtent();
  if (!first || !last) {
    root.replaceChildren(h("p", {}, "The lake has no daily bars yet. Run `deno task ingest` first."));
    return;
  }
  const yearBefore = new Date(Date.parse(`${last}T00:00:00Z`) - 365 * 86_400_000).toISOString().slice(0, 10);
  const symbolIn = h("input", {
    id: "symbol",
    list: "symbols",
    value: getParam("symbol", first),
    size: "8",
    "aria-label": "symbol",
  });
  const startIn = h("input", { id: "start", type: "date", value: getParam("start", yearBefore) });
  const endIn = h("input", { id: "end", type: "date", value: getParam("end", last) });
  const adjustedIn = h("input", { id: "adjusted", type: "checkbox" });
  // Adjusted by default: indicators over as-traded prices jump at every split.
  adjustedIn.checked = getParam("adjusted", "1") === "1";
  const overlaysIn = h("input", { id: "overlays", type: "checkbox" });
  overlaysIn.checked = getParam("overlays", "1") === "1";
  const list = h("datalist", { id: "symbols" });
  // Suggestions come from the symbol master on the server, not from scanning bars.
  fetch("/api/symbols?limit=200").then((r) => r.json()).then(
    ({ symbols }: { symbols: { symbol: string; name: string }[] }) => {
      for (const s of symbols) list.append(h("option", { value: s.symbol, label: s.name }));
    },
  ).catch(() => {});
  const form = h(
    "form",
    { class: "controls" },
    h("label", {}, "Symbol ", symbolIn),
    list,
    h("label", {}, "From ", startIn),
    h("label", {}, "To ", endIn),
    h("label", {}, adjustedIn, " adjusted"),
    h("label", {}, overlaysIn, " SMA 20/50 + Bollinger"),
    h("button", { type: "submit" }, "Show"),
  );
  const out = h("section", { id: "symbol-view" });
  root.replaceChildren(h("h1", {}, "Symbol"), form, out);

  let rendered = 0;
  const latest = requests();
  const render = async () => {
    const started = performance.now();
    // A render that a newer one overtook leaves the view alone: quick switches end on the last symbol's bars.
    const overtaken = latest.next();
    const symbol = symbolIn.value.trim().toUpperCase();
    setParams({
      page: "symbol",
      symbol,
      start: startIn.value,
      end: endIn.value,
      adjusted: adjustedIn.checked ? "1" : "0",
      overlays: overlaysIn.checked ? "1" : "0",
    });
    loading(out, `Loading ${symbol}`);
    try {
      const shift = (iso: string, offset: number) =>
        new Date(Date.parse(`${iso}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);
      const [start, end] = [startIn.value, endIn.value];
      // Adjusted overlays come from the lake's indicators_daily, computed over each symbol's whole
      // history; as-traded ones (or a table behind the bars) are computed here, after a warm-up.
      const fromTable = adjustedIn.checked && await hasIndicators();
      // Indicators only need closes before the range: just those columns for the warm-up.
      const warmUp = () =>
        symbolBars(symbol, shift(start, -WARMUP_DAYS), shift(start, -1), ["date", "close", "adj_close"]);
      const [raw, stored, warm] = await Promise.all([
        symbolBars(symbol, start, end, DAILY_COLUMNS),
        fromTable ? symbolIndicators(symbol, start, end) : [],
        fromTable ? undefined : warmUp(),
      ]);
      const tabled = fromTable ? storedIndicators(raw, stored) : undefined;
      const warmRows = tabled ? [] : warm ?? await warmUp();
      if (overtaken()) return;
      const bars = [...warmRows, ...raw].map((r) => {
        const f = adjustedIn.checked ? (r.adj_close as number) / (r.close as number) : 1;
        const p = (k: string) => r[k] === undefined ? undefined : Math.round((r[k] as number) * f * 10_000) / 10_000;
        return { ...r, open: p("open"), high: p("high"), low: p("low"), close: p("close") } as Bar & {
          adj_close: number;
          source: string;
        };
      });
      const ind = tabled ?? indicators(bars.map((b) => b.close));
      const all = bars.map((b, i) => ({ ...b, ...ind[i] }));
      const indicatorSource = tabled ? "lake (indicators_daily)" : `page (${WARMUP_DAYS}-day warm-up)`;
      const rows = all.filter((b) => b.date >= start);
      if (!rows.length) {
        out.replaceChildren(
          h("p", { class: "empty" }, `No bars for ${symbol} between ${start} and ${end}.`),
        );
        root.dataset.rendered = String(++rendered);
        return;
      }
      const closes = rows.map((r) => r.close);
      // Features exist only in the lake's table; as traded, or without it, they are not shown.
      const lastStored = tabled ? stored.find((r) => r.date === rows[rows.length - 1].date) : undefined;
      const feature = (k: string, show: (x: number) => string) =>
        typeof lastStored?.[k] === "number" ? show(lastStored[k] as number) : "n/a";
      const summary = h(
        "dl",
        { id: "summary" },
        ...[
          ["bars", rows.length],
          ["first", rows[0].date],
          ["last", rows[rows.length - 1].date],
          ["first close", closes[0]],
          ["last close", closes[closes.length - 1]],
          ["high", Math.max(...rows.map((r) => r.high))],
          ["low", Math.min(...rows.map((r) => r.low))],
          ["return", `${((closes[closes.length - 1] / closes[0] - 1) * 100).toFixed(2)}%`],
          ["simulated bars", rows.filter((r) => r.source === "simulated").length],
          ["last RSI(14)", rows[rows.length - 1].rsi?.toFixed(2) ?? "n/a"],
          ["20-day volatility", feature("volatility_20d", (x) => `${(x * 100).toFixed(1)}%`)],
          ["ATR(14)", feature("atr_14", (x) => x.toFixed(2))],
          ["20-day $ volume", feature("dollar_volume_20d", (x) => `$${(x / 1e6).toFixed(1)}M`)],
          ["indicators from", indicatorSource],
        ]
          .flatMap(([k, v]) => [h("dt", {}, String(k)), h("dd", { "data-key": String(k) }, String(v))]),
      );
      out.replaceChildren(
        summary,
        h(
          "figure",
          { class: "chart", id: "price-chart" },
          dailyPlot(rows, {
            width,
            overlays: overlaysIn.checked,
            title: `${symbol} ${adjustedIn.checked ? "(adjusted)" : "(as traded)"}`,
          }),
        ),
        h("figure", { class: "chart", id: "volume-chart" }, volumePlot(rows, { width })),
        h("figure", { class: "chart", id: "rsi-chart" }, rsiPlot(rows, { width })),
        h("figure", { class: "chart", id: "macd-chart" }, macdPlot(rows, { width })),
        h(
          "div",
          { class: "table-head" },
          h("h2", {}, "Bars"),
          downloadButton(
            () =>
              rows.map(({ date, open, high, low, close, adj_close, volume, dividend, split_ratio, source }) => ({
                date,
                open,
                high,
                low,
                close,
                adj_close,
                volume,
                dividend,
                split_ratio,
                source,
              })),
            `${symbol}_${start}_${end}.csv`,
          ),
        ),
        table(
          [...rows].reverse().map((
            { date, open, high, low, close, adj_close, volume, dividend, split_ratio, source },
          ) => ({ date, open, high, low, close, adj_close, volume, dividend, split_ratio, source })),
        ),
      );
      // How long this view took from the request to the charts in the DOM (read by the bench).
      root.dataset.renderMs = (performance.now() - started).toFixed(1);
      // Minute bars are an extra, drawn after the daily view (a session is one more partition read):
      // the range's last session, or the last one on or before a day picked.
      if (await hasMinuteBars() && !overtaken()) {
        const dayIn = h("input", {
          id: "minute-day",
          type: "date",
          value: rows[rows.length - 1].date,
          min: rows[0].date,
          max: rows[rows.length - 1].date,
        });
        // The picked session's chart, or why there is none; the picker itself stays.
        const shown = h("div", {});
        out.querySelector("#macd-chart")!.after(
          h("section", { id: "intraday" }, h("label", {}, "Minute bars of the session on or before ", dayIn), shown),
        );
        const drawMinutes = async () => {
          const minutes = await lastSessionMinutes(symbol, dayIn.value);
          const day = String(minutes[0]?.ts ?? "").slice(0, 10);
          shown.replaceChildren(
            minutes.length
              ? h(
                "figure",
                { class: "chart", id: "intraday-chart", "data-minutes": String(minutes.length), "data-day": day },
                intradayPlot(minutes as { ts: string; session: string; high: number; low: number; close: number }[], {
                  width,
                  title: `${symbol} minute bars, ${day} (as traded, with pre- and post-market)`,
                }),
              )
              : h(
                "p",
                { class: "empty", id: "no-minutes" },
                `No minute bars of ${symbol} on or before ${dayIn.value}.`,
              ),
          );
        };
        dayIn.onchange = () => void drawMinutes().catch((e) => showError(shown, e));
        await drawMinutes();
      }
      // SEC company facts too: the 10-Ks filed by the view's last day.
      const annual = fundamentalsTable(await annualFundamentals(symbol, end));
      if (overtaken()) return;
      if (annual) out.querySelector(".table-head")!.before(annual);
      root.dataset.rendered = String(++rendered);
    } catch (e) {
      if (overtaken()) return;
      showError(out, e);
      root.dataset.rendered = String(++rendered);
    }
  };
  form.onsubmit = (e) => {
    e.preventDefault();
    void render();
  };
  symbolIn.onchange = () => void render();
  await render();
}
