/**
 * Only `Deno.cron` registrations, at top level. Run locally with
 * `deno run -A --unstable-cron pipelines/crons.ts`, or deploy this file to Deno Deploy with an
 * S3 lake (`TICKLAKE_LAKE=s3://...`): nothing the jobs load is a native addon, and nothing they
 * write goes to local disk (`tests/deploy_test.ts` runs them with both denied).
 *
 * Run locally, SIGTERM (a service manager stopping it) or Ctrl-C ends the process once the job
 * under way has landed what it fetched (./interrupt.ts); a second signal ends it at once.
 * @module
 */
import { loadConfig } from "../config.ts";
import { CRON_JOBS, CRON_RETRY_MS, cronTurns, runCronJob } from "./cron_jobs.ts";
import { listenForStop, stoppedExit } from "./interrupt.ts";
import { createLogger } from "./log.ts";

const config = loadConfig();
const log = createLogger();
const stop = listenForStop(log);
const turn = cronTurns(stop.signal, () => Deno.exit(stoppedExit(stop.signal)));
for (const job of CRON_JOBS) {
  Deno.cron(
    job.name,
    job.schedule,
    { backoffSchedule: CRON_RETRY_MS },
    () => turn(() => runCronJob(job, config, { log, stop: stop.signal })),
  );
}
log.info("cron.ready", { jobs: CRON_JOBS.map((j) => `${j.name} (${j.schedule} UTC)`) });
