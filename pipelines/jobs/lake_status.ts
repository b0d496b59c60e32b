/**
 * What a lake holds, from listings and Parquet footers alone (no table is read, so it is cheap on
 * S3): objects, bytes and rows per curated table, stored replies per provider and dataset, each
 * job's latest run, runs a rerun would resume (their checkpoints), and the locks that are held or
 * whose holder died holding them.
 * @module
 */
import { CURATED_TABLES, layout } from "../../lake/layout.ts";
import { parquetRowCount } from "../../lake/parquet/wasm_engine.ts";
import { listRuns, runLockName, type RunRecord } from "../../lake/runs.ts";
import { getJson, type LockHolder, type ObjectInfo, type ObjectStore } from "../../lake/store.ts";
import { listLocks, type LockEntry } from "../../lake/locks.ts";
import { ratesShared } from "../net/shared_rate.ts";

export interface TableStatus {
  table: string;
  objects: number;
  bytes: number;
  rows: number;
}

export interface RawStatus {
  provider: string;
  dataset: string;
  /** Replies stored whole: the body and its metadata sidecar, written last. */
  replies: number;
  /** Bodies without a sidecar: writes a killed process left unfinished (no lineage points at them). */
  incomplete: number;
  bytes: number;
}

export interface LakeStatus {
  lake: string;
  tables: TableStatus[];
  raw: RawStatus[];
  latest_runs: Pick<RunRecord, "job" | "run_id" | "status" | "finished_at" | "symbols_ok" | "symbols_total">[];
  /**
   * Runs whose checkpoint remains: killed ones, and ingests that ended with failures. The same
   * command again resumes them (fetching only what is missing).
   */
  unfinished: {
    job: string;
    checkpoint: string;
    modified: string | null;
    /** What the run was started with (symbols, days, provider), where its checkpoint records it. */
    params?: Record<string, unknown>;
    /** Set while a process works on the run (it holds the run's lock): who. */
    running?: LockHolder;
  }[];
  /** Locks held, or left by a killed holder (see {@linkcode listLocks}). */
  locks: LockEntry[];
  /** The processes calling each provider now, which share its rate limit (see {@linkcode ratesShared}). */
  rates_shared: Awaited<ReturnType<typeof ratesShared>>;
}

async function tableStatus(store: ObjectStore, table: string, objects: ObjectInfo[]): Promise<TableStatus> {
  let rows = 0;
  for (const o of objects) {
    const reader = await store.openRead(o.key);
    if (!reader) continue; // deleted since the listing
    try {
      rows += await parquetRowCount(reader);
    } finally {
      await reader.close();
    }
  }
  return { table, objects: objects.length, bytes: objects.reduce((n, o) => n + o.size, 0), rows };
}

function rawStatus(objects: ObjectInfo[]): RawStatus[] {
  const by = new Map<string, RawStatus & { metas: Set<string>; bodies: Set<string> }>();
  for (const o of objects) {
    const [, provider, dataset] = o.key.split("/");
    const k = `${provider}/${dataset}`;
    const s = by.get(k) ?? by.set(k, {
      provider,
      dataset,
      replies: 0,
      incomplete: 0,
      bytes: 0,
      metas: new Set(),
      bodies: new Set(),
    }).get(k)!;
    s.bytes += o.size;
    if (o.key.endsWith(layout.rawMetaSuffix)) s.metas.add(o.key.slice(0, -layout.rawMetaSuffix.length));
    else s.bodies.add(o.key);
  }
  return [...by.values()].map(({ metas, bodies, ...s }) => ({
    ...s,
    replies: [...bodies].filter((b) => metas.has(b)).length,
    incomplete: [...bodies].filter((b) => !metas.has(b)).length,
  }));
}

export async function lakeStatus(store: ObjectStore): Promise<LakeStatus> {
  const tables: TableStatus[] = [];
  for (const table of CURATED_TABLES) {
    const parts = (await store.list(layout.curatedPrefix(table))).filter((o) => o.key.endsWith(".parquet"));
    tables.push(await tableStatus(store, table, parts));
  }
  const master = await store.head(layout.symbols);
  tables.push(await tableStatus(store, "symbols (reference)", master ? [master] : []));

  const latest = new Map<string, RunRecord>();
  for (const r of await listRuns(store, Infinity)) if (!latest.has(r.job)) latest.set(r.job, r);
  const locks = await listLocks(store);
  const unfinished = await Promise.all((await store.list(layout.checkpointsRoot)).map(async (o) => {
    const [, , job, file] = o.key.split("/");
    const lock = locks.find((l) => l.state === "held" && l.name === runLockName(job, file.replace(/\.json$/, "")));
    const params = (await getJson<{ params?: Record<string, unknown> }>(store, o.key).catch(() => undefined))?.params;
    return {
      job,
      checkpoint: o.key,
      modified: o.modified?.toISOString() ?? null,
      ...(params ? { params } : {}),
      ...(lock?.holder ? { running: lock.holder } : {}),
    };
  }));
  return {
    lake: store.url,
    tables,
    raw: rawStatus(await store.list(layout.rawRoot)),
    latest_runs: [...latest.values()].map(({ job, run_id, status, finished_at, symbols_ok, symbols_total }) => ({
      job,
      run_id,
      status,
      finished_at,
      symbols_ok,
      symbols_total,
    })),
    unfinished,
    locks,
    rates_shared: await ratesShared(store),
  };
}
