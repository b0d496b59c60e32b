/**
 * Run records: one JSON object per pipeline run under `state/runs/`, read by `deno task runs`,
 * the dashboard's pipeline page and the server's /api/runs.
 * @module
 */
import { layout } from "./layout.ts";
import { sha256Hex } from "./raw.ts";
import { getJson, lockHolder, LockWaitTimeoutError, type ObjectStore, putJson } from "./store.ts";

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
  /** `stopped`: a signal ended it before every symbol was tried (see ../pipelines/interrupt.ts). */
  status: "ok" | "partial" | "failed" | "stopped";
  symbols_total: number;
  symbols_ok: number;
  symbols_failed: number;
  /** Symbols a stop left untried; absent before stops were recorded. */
  symbols_pending?: number;
  rows_landed: number;
  failures: RunFailure[];
  details?: Record<string, unknown>;
}

/** How long a checkpoint waits for a rerun to resume it; older ones (a cron window long past) are dropped. */
const CHECKPOINT_TTL_MS = 7 * 86_400_000;

/**
 * Another process runs the same job with the same parameters now. A second would share its
 * checkpoint and fetch the same symbols again.
 */
export class RunUnderWayError extends Error {
  override name = "RunUnderWayError";
}

/** The name of the lock a run holds while it works, from its job and its parameters' hash. */
export const runLockName = (job: string, hash: string) => `run_${job}_${hash}`;

/** Whether a lock's name is a run's (see {@linkcode runLockName}), not a table's or a quota's. */
export const isRunLock = (name: string) => name.startsWith("run_");

/** A run's checkpoint, held by this process until disposed (see {@linkcode openCheckpoint}). */
export interface OpenRun<T> extends AsyncDisposable {
  key: string;
  checkpoint: T;
  resumed: boolean;
}

/**
 * A job's checkpoint for these parameters: the one an earlier, unfinished run left (`resumed`),
 * else a new one, written before any work. A rerun with the same parameters resumes; other
 * parameters make another run. Checkpoints of the job untouched for a week are deleted here.
 * The run holds a lock of its own until disposed: the same run started again meanwhile fails at
 * once with {@linkcode RunUnderWayError}.
 */
export async function openCheckpoint<T extends object>(
  store: ObjectStore,
  job: string,
  params: Record<string, unknown>,
  create: () => T,
  now: Date,
): Promise<OpenRun<T>> {
  const hash = (await sha256Hex(new TextEncoder().encode(JSON.stringify({ job, ...params })))).slice(0, 24);
  const lockKey = layout.lock(runLockName(job, hash));
  const lock = await store.lock(lockKey, lockHolder(job), { maxWaitMs: 0 }).catch((e) => {
    if (!(e instanceof LockWaitTimeoutError)) throw e;
    const by = e.holder ? `pid ${e.holder.pid} on ${e.holder.host}, since ${e.holder.since}` : "another process";
    throw new RunUnderWayError(
      `Cannot start ${job}: the same run is under way (${by}); wait for it to end, or stop it (Ctrl-C) and run ` +
        "this again (on S3, the hold of a run that was killed lapses within a minute)",
    );
  });
  const release = async () => {
    await lock.release();
    // One lock object per set of parameters: none is left behind to pile up.
    await store.delete(lockKey);
  };
  try {
    const key = layout.checkpoint(job, hash);
    for (const o of await store.list(layout.checkpointPrefix(job))) {
      if (o.key !== key && o.modified && now.getTime() - o.modified.getTime() > CHECKPOINT_TTL_MS) {
        await store.delete(o.key);
      }
    }
    const previous = await getJson<T>(store, key);
    // The parameters ride along, so that `deno task status` can say which command resumes it.
    const checkpoint = previous ?? { ...create(), params };
    if (!previous) await putJson(store, key, checkpoint);
    return { key, checkpoint, resumed: previous !== undefined, [Symbol.asyncDispose]: release };
  } catch (e) {
    await release();
    throw e;
  }
}

/** A run id: its UTC start to the second (so ids sort by time), then 8 random hex digits. */
export function newRunId(now: Date): string {
  return `${now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}_${crypto.randomUUID().slice(0, 8)}`;
}

/** A run's status from its symbols: stopped short, all done, some done, or none. */
function runStatus({ symbols_ok, symbols_total, symbols_pending = 0 }: RunSummary): RunRecord["status"] {
  if (symbols_pending > 0) return "stopped";
  return symbols_ok === symbols_total ? "ok" : symbols_ok > 0 ? "partial" : "failed";
}

/** What every ingest summary reports, from which its run record is built. */
export interface RunSummary {
  symbols_total: number;
  symbols_ok: number;
  symbols_failed: number;
  symbols_pending?: number;
  rows_inserted: number;
  rows_updated: number;
  failures: RunFailure[];
}

/**
 * End a run: write its record (status from its symbols, rows landed = inserted + updated), then
 * close its checkpoint (from {@linkcode openCheckpoint}), if it has one, when nothing failed and
 * nothing is pending. Otherwise it stays, so the same command again fetches only what is still missing.
 */
export async function finishRun(
  store: ObjectStore,
  job: string,
  run: { checkpointKey?: string; run_id: string; started_at: string },
  finishedAt: Date,
  summary: RunSummary,
  details: Record<string, unknown>,
): Promise<void> {
  const record: RunRecord = {
    run_id: run.run_id,
    job,
    started_at: run.started_at,
    finished_at: finishedAt.toISOString(),
    status: runStatus(summary),
    symbols_total: summary.symbols_total,
    symbols_ok: summary.symbols_ok,
    symbols_failed: summary.symbols_failed,
    ...(summary.symbols_pending ? { symbols_pending: summary.symbols_pending } : {}),
    rows_landed: summary.rows_inserted + summary.rows_updated,
    failures: summary.failures,
    details,
  };
  await putJson(store, layout.run(run.run_id), record);
  if (run.checkpointKey && summary.failures.length === 0 && !summary.symbols_pending) {
    await store.delete(run.checkpointKey);
  }
}

/** The most recent runs, newest first (run ids start with a UTC timestamp). */
export async function listRuns(store: ObjectStore, limit = 50): Promise<RunRecord[]> {
  const keys = (await store.list(layout.runsPrefix)).map((o) => o.key).sort().reverse().slice(0, limit);
  const runs = await Promise.all(keys.map((k) => getJson<RunRecord>(store, k)));
  return runs.filter((r): r is RunRecord => !!r);
}
