/// <reference lib="dom" />
/**
 * Coverage: how complete each symbol's daily bars are per year against the NYSE calendar, and
 * which sessions are missing.
 * @module
 */
import { isTradingDay } from "../../../lake/calendar.ts";
import { coveragePlot } from "../charts.ts";
import { query } from "../db.ts";
import { h, loading, showError, table } from "../ui.ts";

const DAY_MS = 86_400_000;

export async function coveragePage(root: HTMLElement, { width }: { width: number }) {
  const out = h("section", {});
  root.replaceChildren(
    h("h1", {}, "Coverage"),
    h(
      "p",
      { class: "note" },
      "Share of NYSE sessions with a bar, per symbol and year, from each symbol's first bar to the lake's last day.",
    ),
    out,
  );
  loading(out);
  try {
    const spans = await query(
      "SELECT symbol, min(date)::VARCHAR AS first, max(date)::VARCHAR AS last FROM daily_bars GROUP BY symbol ORDER BY symbol",
    ) as { symbol: string; first: string; last: string }[];
    const lastDay = spans.reduce((m, s) => (s.last > m ? s.last : m), "");
    const present = await query("SELECT symbol, date::VARCHAR AS date FROM daily_bars ORDER BY symbol, date") as {
      symbol: string;
      date: string;
    }[];
    const have = new Map<string, Set<string>>();
    for (const r of present) (have.get(r.symbol) ?? have.set(r.symbol, new Set()).get(r.symbol)!).add(r.date);
    const cells: { symbol: string; year: number; completeness: number }[] = [];
    const gaps: { symbol: string; missing: number; first_missing: string; examples: string }[] = [];
    for (const s of spans) {
      const days = have.get(s.symbol)!;
      const missing: string[] = [];
      const perYear = new Map<number, { want: number; got: number }>();
      for (let t = Date.parse(`${s.first}T00:00:00Z`); t <= Date.parse(`${lastDay}T00:00:00Z`); t += DAY_MS) {
        if (!isTradingDay(t / DAY_MS)) continue;
        const iso = new Date(t).toISOString().slice(0, 10);
        const y = Number(iso.slice(0, 4));
        const e = perYear.get(y) ?? perYear.set(y, { want: 0, got: 0 }).get(y)!;
        e.want++;
        if (days.has(iso)) e.got++;
        else missing.push(iso);
      }
      for (const [year, e] of perYear) cells.push({ symbol: s.symbol, year, completeness: e.got / e.want });
      if (missing.length) {
        gaps.push({
          symbol: s.symbol,
          missing: missing.length,
          first_missing: missing[0],
          examples: missing.slice(0, 8).join(" "),
        });
      }
    }
    out.replaceChildren(
      h("figure", { class: "chart", id: "coverage-chart" }, coveragePlot(cells, { width })),
      h("h2", {}, "Gaps"),
      gaps.length ? table(gaps) : h("p", { id: "no-gaps" }, "No missing sessions."),
    );
    root.dataset.rendered = "1";
  } catch (e) {
    showError(out, e);
  }
}
