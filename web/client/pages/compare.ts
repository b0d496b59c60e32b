/// <reference lib="dom" />
/**
 * Compare: several symbols' adjusted growth over one window and the correlation of their daily
 * returns, both computed by DuckDB-WASM over the lake.
 * @module
 */
import { comparePlot, correlationPlot } from "../charts.ts";
import { query } from "../db.ts";
import { getParam, h, loading, requests, setParams, showError } from "../ui.ts";

export async function comparePage(root: HTMLElement, { width }: { width: number }) {
  const [{ last }] = await query("SELECT max(date)::VARCHAR AS last FROM daily_bars") as { last: string | null }[];
  const some = (await query("SELECT DISTINCT symbol FROM daily_bars ORDER BY symbol LIMIT 4")).map((r) =>
    String(r.symbol)
  );
  const end = last ?? new Date().toISOString().slice(0, 10);
  const symbolsIn = h("input", { id: "symbols", value: getParam("symbols", some.join(",")), size: "40" });
  const startIn = h("input", {
    id: "start",
    type: "date",
    value: getParam(
      "start",
      new Date(Date.parse(`${end}T00:00:00Z`) - 3 * 365 * 86_400_000).toISOString().slice(0, 10),
    ),
  });
  const endIn = h("input", { id: "end", type: "date", value: getParam("end", end) });
  const form = h(
    "form",
    { class: "controls" },
    h("label", {}, "Symbols ", symbolsIn),
    h("label", {}, "From ", startIn),
    h("label", {}, "To ", endIn),
    h("button", { type: "submit" }, "Compare"),
  );
  const out = h("section", {});
  root.replaceChildren(h("h1", {}, "Compare"), form, out);
  let rendered = 0;
  const latest = requests();
  const render = async () => {
    const overtaken = latest.next();
    const symbols = symbolsIn.value.split(",").map((s) => s.trim().toUpperCase()).filter(Boolean).slice(0, 12);
    setParams({ page: "compare", symbols: symbols.join(","), start: startIn.value, end: endIn.value });
    loading(out);
    try {
      const marks = symbols.map(() => "?").join(",");
      const growth = await query(
        `SELECT symbol, date::VARCHAR AS date, adj_close / first_value(adj_close) OVER (PARTITION BY symbol ORDER BY date) AS growth
         FROM daily_bars WHERE symbol IN (${marks}) AND date BETWEEN ?::DATE AND ?::DATE ORDER BY symbol, date`,
        [...symbols, startIn.value, endIn.value],
      ) as { symbol: string; date: string; growth: number }[];
      const corr = await query(
        `WITH r AS (SELECT symbol, date, adj_close / lag(adj_close) OVER (PARTITION BY symbol ORDER BY date) - 1 AS ret
                    FROM daily_bars WHERE symbol IN (${marks}) AND date BETWEEN ?::DATE AND ?::DATE)
         SELECT x.symbol AS a, y.symbol AS b, corr(x.ret, y.ret) AS corr FROM r x JOIN r y USING (date)
         WHERE x.ret IS NOT NULL AND y.ret IS NOT NULL GROUP BY ALL ORDER BY a, b`,
        [...symbols, startIn.value, endIn.value],
      ) as { a: string; b: string; corr: number }[];
      if (overtaken()) return;
      out.replaceChildren(
        h(
          "figure",
          { class: "chart", id: "compare-chart", "data-symbols": symbols.join(",") },
          comparePlot(growth, { width }),
        ),
        h("h2", {}, "Correlation of daily returns"),
        h("figure", { class: "chart", id: "correlation-chart" }, correlationPlot(corr, { width })),
      );
      root.dataset.rendered = String(++rendered);
    } catch (e) {
      if (!overtaken()) showError(out, e);
    }
  };
  form.onsubmit = (e) => {
    e.preventDefault();
    void render();
  };
  await render();
}
