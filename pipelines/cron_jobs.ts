/**
 * The collectors' schedule as data: `crons.ts` registers each job with `Deno.cron`, and the tests
 * run each once under Deno Deploy's limits. Times are UTC. Days of the week are named: Deno.cron
 * numbers them 1-7 from Sunday (Unix cron counts 0-6 from Sunday), so `1-5` would mean Sunday to
 * Thursday there, and `0` is refused. Every job uses the wasm Parquet engine
 * and the configured store, so with an S3 lake none loads a native addon or writes to local disk.
 * @module
 */
import type { Config } from "../config.ts";
import { runDailyClose } from "./jobs/daily_close.ts";
import { runFundamentalsClose } from "./jobs/fundamentals_close.ts";
import { runMinuteClose } from "./jobs/minute_close.ts";
import { runReconcileClose } from "./jobs/reconcile_close.ts";
import { runSymbolRefresh } from "./jobs/refresh_symbols.ts";
import { createLogger, type Logger } from "./log.ts";

export interface CronJob {
  name: string;
  schedule: string;
  /** `stop`: the process is asked to end; an ingest lands what it has and stops (see ./interrupt.ts). */
  run(config: Config, stop?: AbortSignal): Promise<unknown>;
}

/** The symbol master first, as in a day of the schedule: the other jobs then see its CIKs and listings. */
export const CRON_JOBS: CronJob[] = [
  {
    name: "ticklake symbol master",
    // The Nasdaq Trader directory is regenerated overnight; refresh before the US open.
    schedule: "0 11 * * MON-FRI",
    run: (config) => runSymbolRefresh(config, { log: createLogger() }),
  },
  {
    name: "ticklake daily close",
    // After the 16:00 New York close in both EST and EDT, once Yahoo has the final bar.
    schedule: "30 22 * * MON-FRI",
    run: (config, stop) => runDailyClose(config, { stop }),
  },
  {
    name: "ticklake minute bars",
    // After 20:00 New York, when the post-market minutes are complete (EST and EDT).
    schedule: "30 1 * * TUE-SAT",
    run: (config, stop) => runMinuteClose(config, { stop }),
  },
  {
    name: "ticklake fundamentals",
    // Saturdays: the week's filings are in SEC's company facts by then.
    schedule: "0 12 * * SAT",
    run: (config, stop) => runFundamentalsClose(config, { stop }),
  },
  {
    name: "ticklake reconcile",
    // Sundays, with the week's bars in: a few symbols against Alpha Vantage, within its daily quota.
    schedule: "0 12 * * SUN",
    run: (config) => runReconcileClose(config),
  },
];

/**
 * A failed run is tried again after 5, 15 and 45 minutes (`Deno.cron`'s `backoffSchedule`): a table
 * another job held past `TICKLAKE_LOCK_WAIT_S`, a provider down for a while. The ingests resume
 * from their checkpoints, so a retry fetches only what the failed run did not.
 */
export const CRON_RETRY_MS = [5 * 60_000, 15 * 60_000, 45 * 60_000];

/**
 * How long a scheduled run waits for a table another job holds, unless `TICKLAKE_LOCK_WAIT_S`
 * says otherwise: past it the run fails and is retried, instead of queueing behind a hung holder
 * for ever (the CLI, watched by its user, has no limit by default).
 */
export const CRON_LOCK_WAIT_MS = 30 * 60_000;

/** One scheduled run, its end or its failure logged as one line; a failure is thrown on, for `Deno.cron` to retry. */
export async function runCronJob(
  job: CronJob,
  config: Config,
  { log = createLogger(), stop }: { log?: Logger; stop?: AbortSignal } = {},
): Promise<unknown> {
  const started = performance.now();
  const lake = { ...config.lake, lockWaitMs: config.lake.lockWaitMs ?? CRON_LOCK_WAIT_MS };
  try {
    const result = await job.run({ ...config, lake }, stop);
    log.info("cron.done", { job: job.name, seconds: Math.round((performance.now() - started) / 1000) });
    return result;
  } catch (e) {
    log.error("cron.failed", { job: job.name, error: (e as Error).name, message: (e as Error).message });
    throw e;
  }
}

/**
 * The cron handlers' guard for a stop: a run that fires after it does not start, and the process
 * ends (`exit`) once no run is under way, at once when none is.
 */
export function cronTurns(stop: AbortSignal, exit: () => void): (run: () => Promise<unknown>) => Promise<void> {
  let running = 0;
  const endIfIdle = () => running === 0 && exit();
  stop.addEventListener("abort", endIfIdle, { once: true });
  return async (run) => {
    if (stop.aborted) return;
    running++;
    try {
      await run();
    } finally {
      running--;
      if (stop.aborted) endIfIdle();
    }
  };
}
