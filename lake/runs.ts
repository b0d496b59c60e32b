/**
 * Run records: one JSON object per pipeline run under `state/runs/`, read by `deno task runs`,
 * the dashboard's pipeline page and the server's /api/runs.
 * @module
 */
import { layout } from "./layout.ts";
import { sha256Hex } from "./raw.ts";
import { getJson, type ObjectStore, putJson } from "./store.ts";

export interface RunFailure {
  symbol: string;
  provider: string;
  reason: string;
  message: string;
}

export interface RunRecord {
  run_id: string;
  job: string;
  started_at: string;
  finished_at: string;
  status: "ok" | "partial" | "failed";
  symbols_total: number;
  symbols_ok: number;
  symbols_failed: number;
  rows_landed: number;
  failures: RunFailure[];
  details?: Record<string, unknown>;
}

/**
 * Where a job keeps its checkpoint for these parameters: a rerun with the same parameters finds
 * it and resumes; other parameters make another run.
 */
export async function checkpointKey(job: string, params: Record<string, unknown>): Promise<string> {
  const hash = await sha256Hex(new TextEncoder().encode(JSON.stringify({ job, ...params })));
  return layout.checkpoint(job, hash.slice(0, 24));
}

/** A run id: its UTC start to the second (so ids sort by time), then 8 random hex digits. */
export function newRunId(now: Date): string {
  return `${now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}_${crypto.randomUUID().slice(0, 8)}`;
}

/** A run's status from its symbols: all done, some done, or none. */
export function runStatus(symbolsOk: number, symbolsTotal: number): RunRecord["status"] {
  return symbolsOk === symbolsTotal ? "ok" : symbolsOk > 0 ? "partial" : "failed";
}

export function recordRun(store: ObjectStore, run: RunRecord): Promise<void> {
  return putJson(store, layout.run(run.run_id), run);
}

/** The most recent runs, newest first (run ids start with a UTC timestamp). */
export async function listRuns(store: ObjectStore, limit = 50): Promise<RunRecord[]> {
  const keys = (await store.list(layout.runsPrefix)).map((o) => o.key).sort().reverse().slice(0, limit);
  const runs = await Promise.all(keys.map((k) => getJson<RunRecord>(store, k)));
  return runs.filter((r): r is RunRecord => !!r);
}
