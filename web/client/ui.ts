/// <reference lib="dom" />
/**
 * Small DOM helpers shared by the pages: elements, URL state, loading and error states, tables
 * and CSV download.
 * @module
 */
import type { Row } from "./db.ts";

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.append(...children);
  return el;
}

/** Page state lives in the query string, so every view is shareable by URL. */
export function getParam(name: string, fallback = ""): string {
  return new URLSearchParams(location.search).get(name) ?? fallback;
}

export function setParams(values: Record<string, string>) {
  const p = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(values)) v === "" ? p.delete(k) : p.set(k, v);
  history.replaceState(null, "", `?${p}`);
}

/**
 * The latest request wins, for a view that redraws per request: `next()` starts a request and
 * returns its check, true once a later request has started, so a slow earlier answer never
 * replaces a newer one.
 */
export function requests(): { next(): () => boolean } {
  let latest = 0;
  return {
    next() {
      const mine = ++latest;
      return () => mine !== latest;
    },
  };
}

export function loading(target: HTMLElement, what = "Loading") {
  target.replaceChildren(h("p", { class: "loading" }, `${what}…`));
}

export function showError(target: HTMLElement, e: unknown) {
  const msg = e instanceof Error ? e.message : String(e);
  target.replaceChildren(h("div", { class: "error", role: "alert" }, msg.split("\n")[0]));
}

/** The columns of `rows`, as the first row names them. */
const columnsOf = (rows: Row[]) => (rows.length ? Object.keys(rows[0]) : []);

/** Rows as CSV with a header line; `columns` names them when there are no rows to take them from. */
export function toCsv(rows: Row[], columns = columnsOf(rows)): string {
  if (!columns.length) return "";
  const cell = (v: unknown) => {
    const s = v == null ? "" : String(v);
    return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [columns.join(","), ...rows.map((r) => columns.map((c) => cell(r[c])).join(","))].join("\n") + "\n";
}

export function downloadButton(rows: () => Row[], filename: string, columns?: string[]): HTMLButtonElement {
  const b = h("button", { type: "button", class: "download" }, "Download CSV");
  b.onclick = () => {
    const url = URL.createObjectURL(new Blob([toCsv(rows(), columns)], { type: "text/csv" }));
    const a = h("a", { href: url, download: filename });
    a.click();
    URL.revokeObjectURL(url);
  };
  return b;
}

export function table(
  rows: Row[],
  { limit = 500, numberFormat = 4, columns = columnsOf(rows) } = {},
): HTMLElement {
  const fmt = (v: unknown) =>
    typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toFixed(numberFormat)) : v == null ? "" : String(v);
  const body = rows.slice(0, limit).map((r) => h("tr", {}, ...columns.map((c) => h("td", {}, fmt(r[c])))));
  const wrap = h(
    "div",
    { class: "table-wrap" },
    h("table", {}, h("thead", {}, h("tr", {}, ...columns.map((c) => h("th", {}, c)))), h("tbody", {}, ...body)),
  );
  if (rows.length > limit) wrap.append(h("p", { class: "note" }, `showing ${limit} of ${rows.length} rows`));
  return wrap;
}
