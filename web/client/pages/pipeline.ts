/// <reference lib="dom" />
/**
 * Pipeline: recent runs, failures by reason, rows landed per day and provider health, from the
 * server's JSON endpoints (run records are small JSON, not Parquet).
 * @module
 */
import { barsPlot } from "../charts.ts";
import { h, loading, showError, table } from "../ui.ts";
import type { LockEntry } from "../../../lake/locks.ts";

interface Run {
  run_id: string;
  job: string;
  status: string;
  finished_at: string;
  symbols_total: number;
  symbols_ok: number;
  symbols_failed: number;
  rows_landed: number;
  failures: { symbol: string; provider: string; reason: string; message: string }[];
}

export async function pipelinePage(root: HTMLElement, { width }: { width: number }) {
  const out = h("section", {});
  root.replaceChildren(h("h1", {}, "Pipeline"), out);
  loading(out);
  try {
    const { runs, failuresByReason } = await (await fetch("/api/runs?limit=200")).json() as {
      runs: Run[];
      failuresByReason: Record<string, number>;
    };
    const failures = runs.flatMap((r) => r.failures.map((f) => ({ run: r.run_id, ...f }))).slice(0, 200);
    const { locks } = await (await fetch("/api/locks")).json() as { locks: LockEntry[] };
    const { providers, note } = await (await fetch("/api/providers")).json() as {
      providers: Record<string, unknown>[];
      note?: string;
    };
    const perDay = new Map<string, number>();
    for (const r of runs) {
      perDay.set(r.finished_at.slice(0, 10), (perDay.get(r.finished_at.slice(0, 10)) ?? 0) + r.rows_landed);
    }
    out.replaceChildren(
      h("h2", {}, "Recent runs"),
      table(
        runs.slice(0, 50).map((
          { run_id, job, status, finished_at, symbols_ok, symbols_total, symbols_failed, rows_landed },
        ) => ({
          run_id,
          job,
          status,
          finished_at,
          symbols: `${symbols_ok}/${symbols_total}`,
          failed: symbols_failed,
          rows_landed,
        })),
      ),
      h("h2", {}, "Locks"),
      // A job waiting on a table shows here, with whom it waits for; a lock a killed job left is free again.
      locks.length
        ? h(
          "div",
          { id: "locks" },
          table(locks.map((l) => ({
            lock: l.name,
            state: l.state === "free" ? "free (its holder ended without releasing it)" : l.state,
            job: l.holder?.job ?? "",
            pid: l.holder?.pid ?? "",
            host: l.holder?.host ?? "",
            since: l.holder?.since ?? "",
            waiting: l.waiting ?? "",
            lease_until: l.expires_at ?? "",
          }))),
        )
        : h("p", { id: "no-locks" }, "No job holds a lock."),
      h("h2", {}, "Rows landed per day"),
      h(
        "figure",
        { class: "chart", id: "rows-chart" },
        barsPlot([...perDay].map(([label, value]) => ({ label, value })), { width, label: "rows landed" }),
      ),
      h("h2", {}, "Failures by reason"),
      Object.keys(failuresByReason).length
        ? h(
          "figure",
          { class: "chart", id: "failures-chart" },
          barsPlot(Object.entries(failuresByReason).map(([label, value]) => ({ label, value })), {
            width,
            label: "failures",
          }),
        )
        : h("p", { id: "no-failures" }, "No failures recorded."),
      // Without failures the table would be an empty frame under the sentence that says so.
      ...(failures.length ? [table(failures)] : []),
      h("h2", {}, "Provider health"),
      providers.length ? table(providers) : h("p", { class: "note" }, note ?? "No provider health recorded."),
    );
    root.dataset.rendered = "1";
  } catch (e) {
    showError(out, e);
  }
}
