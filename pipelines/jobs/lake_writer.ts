/**
 * One writer at a time per table. A job that changes a curated table or the symbol master reads a
 * partition, merges into it and writes it back; two jobs doing that at once (a cron and a manual
 * ingest) would each write back a version without the other's rows. So each holds the table's
 * writer lock while it merges: the other waits, says so in the log, and then merges into what the
 * first wrote. The daily ingest fetches before it takes the lock; the minute and fundamentals
 * ingests stream what they fetch into their merges, so they hold it while they fetch.
 * @module
 */
import { layout } from "../../lake/layout.ts";
import { lockHolder, type ObjectStore } from "../../lake/store.ts";
import { type Logger, silentLogger } from "../log.ts";

/** Lakes whose locks were found not exclusive, said once per process. */
const warned = new Set<string>();

/** The tables whose writes are locked. */
export type LockedTable = "daily_bars" | "indicators_daily" | "minute_bars" | "fundamentals" | "symbols";

/** What each table's lock guards: on S3, writes there fail once its holder has lost the lease. */
const GUARDED: Record<LockedTable, string[]> = {
  daily_bars: [layout.curatedPrefix("daily_bars")],
  indicators_daily: [layout.curatedPrefix("indicators_daily"), layout.curatedPrefix("indicators_latest")],
  minute_bars: [layout.curatedPrefix("minute_bars")],
  fundamentals: [layout.curatedPrefix("fundamentals")],
  symbols: [layout.symbols],
};

export interface TableWriter {
  store: ObjectStore;
  table: LockedTable;
  job: string;
  log?: Logger;
}

/**
 * Take `table`'s writer lock in `store`, waiting while another job holds it; released when the
 * `await using` scope holding it ends. Not re-entrant: a job takes a table's lock once.
 */
export async function lockTable(
  { store, table, job, log = silentLogger }: TableWriter,
): Promise<AsyncDisposable> {
  const asked = performance.now();
  let waited = false;
  const lock = await store.lock(layout.lock(table), lockHolder(job), {
    guards: GUARDED[table],
    waiting(holder) {
      waited = true;
      log.info("lake.lock_wait", { table, job, held_by: holder ?? "unknown" });
    },
  });
  if (!lock.exclusive && !warned.has(store.url)) {
    warned.add(store.url);
    log.warn("lake.lock_not_exclusive", {
      table,
      job,
      reason: "the store ignores conditional writes: two jobs starting at the same instant could both take a lock",
    });
  }
  if (waited) {
    log.info("lake.lock_taken", { table, job, waited_s: Number(((performance.now() - asked) / 1000).toFixed(1)) });
  }
  // Whoever held the lock before is done or dead: its unfinished writes are garbage now.
  for (const prefix of GUARDED[table]) {
    const left = await store.removeLeftovers?.(prefix);
    if (left?.files) log.info("lake.leftovers_removed", { table, job, prefix, ...left });
  }
  return {
    // A lock that cannot be released is not the job's failure: on S3 its lease runs out by itself.
    [Symbol.asyncDispose]: () =>
      lock.release().catch((e) => log.warn("lake.lock_release_failed", { table, job, message: (e as Error).message })),
  };
}

/** Run `fn` holding `table`'s writer lock. */
export async function asTableWriter<T>(writer: TableWriter, fn: () => Promise<T>): Promise<T> {
  await using _ = await lockTable(writer);
  return await fn();
}
