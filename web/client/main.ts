/// <reference lib="dom" />
/**
 * The dashboard's entry: picks the page from `?page=` and renders it into #app.
 * @module
 */
import "./style.css";
import { comparePage } from "./pages/compare.ts";
import { coveragePage } from "./pages/coverage.ts";
import { pipelinePage } from "./pages/pipeline.ts";
import { screenerPage } from "./pages/screener.ts";
import { sqlPage } from "./pages/sql.ts";
import { symbolPage } from "./pages/symbol.ts";
import { getParam, showError } from "./ui.ts";

const pages = {
  symbol: symbolPage,
  compare: comparePage,
  screener: screenerPage,
  coverage: coveragePage,
  pipeline: pipelinePage,
  sql: sqlPage,
};

const root = document.getElementById("app")!;
const name = (getParam("page", "symbol") in pages ? getParam("page", "symbol") : "symbol") as keyof typeof pages;
for (const a of document.querySelectorAll<HTMLAnchorElement>("nav a")) {
  a.classList.toggle("active", a.dataset.page === name);
}
const width = Math.min(1200, Math.max(600, root.clientWidth - 8));
try {
  await pages[name](root, { width });
} catch (e) {
  showError(root, e);
  root.dataset.rendered = "error";
}
