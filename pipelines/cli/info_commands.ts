/**
 * The commands that report on the lake and its jobs: runs, status and provider health.
 * @module
 */
import { isRunLock, listRuns } from "../../lake/runs.ts";
import { openStore } from "../../lake/open_store.ts";
import { currentProviderHealth } from "../jobs/provider_state.ts";
import { type Command, lakeOption, numberFlag, withLake } from "./command.ts";
import type { LakeStatus } from "../jobs/lake_status.ts";
import type { LockHolder } from "../../lake/store.ts";

export const runs: Command = {
  summary: "Show recent pipeline runs and what failed, and why",
  usage: "runs [--json] [--limit N]",
  options: {
    json: { type: "boolean", help: "print JSON" },
    limit: { type: "string", help: "how many runs (default 10)" },
    lake: lakeOption,
  },
  async run(flags, config) {
    const runs = await listRuns(
      openStore(withLake(config, flags).lake),
      numberFlag(flags, "limit", { integer: true }) ?? 10,
    );
    if (flags.json) console.log(JSON.stringify(runs, null, 2));
    else {
      for (const r of runs) {
        const left = r.symbols_pending ? `, ${r.symbols_pending} left for the same command` : "";
        console.log(
          `${r.run_id} ${r.job} ${r.status}: ${r.symbols_ok}/${r.symbols_total} ok${left}, ${r.rows_landed} rows landed`,
        );
        for (const f of r.failures.slice(0, 20)) {
          console.log(`  ${f.symbol} (${f.provider}) ${f.reason}: ${f.message}`);
        }
      }
      if (runs.length === 0) console.log("no runs recorded yet");
    }
    return 0;
  },
};

/** What a run was started with, as its command said it: its symbols, days and providers. */
function runParams(params?: Record<string, unknown>): string {
  if (!params) return "";
  const list = (v: unknown) => Array.isArray(v) ? v.map(String) : [];
  const symbols = list(params.symbols);
  const parts = [
    symbols.length > 5 ? `${symbols.length} symbols (${symbols.slice(0, 3).join(", ")}, ...)` : symbols.join(","),
    params.from ? `from ${params.from}` : "",
    params.to ? `to ${params.to}` : "",
    [params.provider, ...list(params.sources)].filter(Boolean).join(", "),
  ].filter(Boolean);
  return parts.length ? ` of ${parts.join(" ")}` : "";
}

export const status: Command = {
  summary:
    "Show what the lake holds: rows and bytes per table, stored replies, each job's last run, runs to resume, locks held",
  usage: "status [--json] [--lake DIR|s3://...]",
  options: { json: { type: "boolean", help: "print JSON" }, lake: lakeOption },
  async run(flags, config) {
    const { lakeStatus } = await import("../jobs/lake_status.ts");
    const s = await lakeStatus(openStore(withLake(config, flags).lake));
    if (flags.json) {
      console.log(JSON.stringify(s, null, 2));
      return 0;
    }
    const n = (x: number) => x.toLocaleString("en-US");
    const mb = (x: number) => x < 1e6 ? `${(x / 1e3).toFixed(1)} kB` : `${(x / 1e6).toFixed(1)} MB`;
    console.log(`lake ${s.lake}`);
    console.log(`${"table".padEnd(22)}${"objects".padStart(8)}${"size".padStart(12)}${"rows".padStart(14)}`);
    for (const t of s.tables) {
      console.log(
        `${t.table.padEnd(22)}${n(t.objects).padStart(8)}${mb(t.bytes).padStart(12)}${n(t.rows).padStart(14)}`,
      );
    }
    console.log(`${"raw replies".padEnd(30)}${"stored".padStart(8)}${"size".padStart(12)}`);
    for (const r of s.raw) {
      const unfinished = r.incomplete ? `  (${r.incomplete} unfinished writes, no sidecar)` : "";
      console.log(
        `${`${r.provider}/${r.dataset}`.padEnd(30)}${n(r.replies).padStart(8)}${mb(r.bytes).padStart(12)}${unfinished}`,
      );
    }
    console.log("last run per job");
    for (const r of s.latest_runs) {
      console.log(`  ${r.job.padEnd(22)}${r.status.padEnd(8)}${r.finished_at}  ${r.symbols_ok}/${r.symbols_total} ok`);
    }
    if (s.latest_runs.length === 0) console.log("  none yet");
    // A run's lock, while held, is told with its run below.
    for (const l of s.locks) {
      if (!(l.state === "held" && isRunLock(l.name))) console.log(`lock ${l.name}: ${describeLock(l)}`);
    }
    for (const r of s.rates_shared) {
      const n = r.processes.length;
      console.log(
        `${r.provider} called now by ${n} process${n === 1 ? "" : "es"}, sharing its rate limit: ` +
          r.processes.map((p) => `pid ${p.pid} on ${p.host}`).join(", "),
      );
    }
    for (const u of s.unfinished) {
      const when = u.modified ?? "time unknown";
      console.log(
        u.running
          ? `running ${u.job} run (${who(u.running)}; checkpoint ${u.checkpoint})`
          : `unfinished ${u.job} run${runParams(u.params)} (checkpoint ${u.checkpoint}, ${when}): ` +
            "the same command again resumes it",
      );
    }
    return 0;
  },
};

export const providers: Command = {
  summary: "Show each provider's health, latency, error rate, breaker state and quota left",
  usage: "providers [--json]",
  options: { json: { type: "boolean", help: "print JSON" }, lake: lakeOption },
  async run(flags, config) {
    config = withLake(config, flags);
    const saved = await currentProviderHealth(openStore(config.lake), config.net);
    const rows = saved?.providers ?? [];
    if (flags.json) console.log(JSON.stringify({ at: saved?.at ?? null, providers: rows }, null, 2));
    else if (!rows.length) console.log("no provider calls recorded yet: run `deno task ingest` first");
    else {
      console.log("provider      score  breaker    p50 ms  errors  complete  quota left  calls  as of");
      for (const p of rows) {
        console.log(
          `${p.provider.padEnd(13)} ${p.score.toFixed(2).padStart(5)}  ${p.breaker.padEnd(9)} ${
            String(p.p50LatencyMs ?? "-").padStart(7)
          }  ${(p.errorRate * 100).toFixed(0).padStart(5)}%  ${(p.completeness * 100).toFixed(0).padStart(7)}%  ${
            String(p.quotaLeft ?? "-").padStart(10)
          }  ${String(p.calls).padStart(5)}  ${p.at}`,
        );
      }
    }
    return 0;
  },
};

const who = (h: LockHolder) => `${h.job} (pid ${h.pid} on ${h.host}, since ${h.since})`;

/** A lock's line: who holds it and since when, or that its last holder died holding it. */
function describeLock(l: LakeStatus["locks"][number]): string {
  const holder = l.holder ? who(l.holder) : "";
  if (l.state === "free") return `free; its last holder, ${holder}, ended without releasing it`;
  const waiting = l.waiting ? `, ${l.waiting} waiting` : "";
  const lease = l.expires_at ? `, lease until ${l.expires_at}` : "";
  return `held by ${holder || "a job that has not named itself yet"}${waiting}${lease}`;
}
