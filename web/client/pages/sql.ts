/// <reference lib="dom" />
/**
 * SQL console: read-only SQL over a view per lake table, run by DuckDB-WASM in the page; the
 * result as a table and a quick chart, with CSV download. Errors read as messages.
 * @module
 */
import * as Plot from "@observablehq/plot";
import { query, queryResult, type Row } from "../db.ts";
import { downloadButton, getParam, h, loading, requests, setParams, showError, table } from "../ui.ts";

const READ_ONLY = /^\s*(select|with|describe|summarize|show|explain|from|values)\b/i;
const EXAMPLE =
  "SELECT symbol, count(*) AS bars, min(date) AS first, max(date) AS last\nFROM daily_bars GROUP BY symbol ORDER BY symbol";

function quickChart(rows: Row[], width: number): Element | undefined {
  if (rows.length < 2) return undefined;
  const [x, y] = Object.keys(rows[0]);
  if (!y || typeof rows[0][y] !== "number") return undefined;
  const isDate = typeof rows[0][x] === "string" && /^\d{4}-\d{2}-\d{2}/.test(rows[0][x] as string);
  const data = rows.map((r) => ({ x: isDate ? new Date(r[x] as string) : r[x], y: r[y] }));
  return Plot.plot({
    width,
    height: 280,
    marginLeft: 56,
    y: { grid: true, label: y },
    x: { label: x },
    marks: isDate || typeof rows[0][x] === "number"
      ? [Plot.lineY(data, { x: "x", y: "y" })]
      : [Plot.barY(data, { x: "x", y: "y", fill: "#4e79a7" })],
  });
}

export function sqlPage(root: HTMLElement, { width }: { width: number }) {
  const text = h("textarea", { id: "sql", rows: "6", spellcheck: "false" });
  text.value = getParam("q", EXAMPLE);
  const run = h("button", { type: "submit", id: "run" }, "Run");
  const out = h("section", { id: "result" });
  const form = h("form", { class: "sql" }, text, run);
  const note = h("p", { class: "note", id: "views" }, "Read-only SQL over the lake's tables, run in your browser.");
  root.replaceChildren(h("h1", {}, "SQL console"), note, form, out);
  // The views are this lake's tables: a lake without minute bars has no minute_bars view.
  query("SELECT table_name AS name FROM information_schema.tables ORDER BY name").then((rows) => {
    note.textContent = `Read-only SQL, run in your browser, over the views ${rows.map((r) => r.name).join(", ")}.`;
  }).catch(() => {/* the note stays general; a query's own error will say more */});
  const latest = requests();
  form.onsubmit = async (e) => {
    e.preventDefault();
    const overtaken = latest.next();
    const sql = text.value;
    setParams({ page: "sql", q: sql });
    if (!READ_ONLY.test(sql)) {
      showError(
        out,
        new Error("Only read-only statements are allowed here (SELECT, WITH, DESCRIBE, SUMMARIZE, SHOW, EXPLAIN)."),
      );
      return;
    }
    loading(out, "Running");
    try {
      const { columns, rows } = await queryResult(sql);
      if (overtaken()) return;
      const chart = quickChart(rows, width);
      out.replaceChildren(
        h(
          "div",
          { class: "table-head" },
          h("p", { id: "row-count" }, `${rows.length} rows`),
          downloadButton(() => rows, "query.csv", columns),
        ),
        ...(chart ? [h("figure", { class: "chart", id: "sql-chart" }, chart)] : []),
        // Column names even for no rows: an empty result still says what it would have held.
        table(rows, { columns }),
      );
      root.dataset.rendered = String(Number(root.dataset.rendered ?? 0) + 1);
    } catch (err) {
      if (overtaken()) return;
      showError(out, err);
      root.dataset.rendered = String(Number(root.dataset.rendered ?? 0) + 1);
    }
  };
  if (getParam("q")) form.requestSubmit();
}
