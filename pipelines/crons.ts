/**
 * Only `Deno.cron` registrations, at top level. Run locally with
 * `deno run -A --unstable-cron pipelines/crons.ts`, or deploy this file to Deno Deploy with an
 * S3 lake (`TICKLAKE_LAKE=s3://...`): nothing the jobs load is a native addon, and nothing they
 * write goes to local disk (`tests/deploy_test.ts` runs them with both denied).
 * @module
 */
import { loadConfig } from "../config.ts";
import { CRON_JOBS, CRON_RETRY_MS, runCronJob } from "./cron_jobs.ts";

const config = loadConfig();
for (const job of CRON_JOBS) {
  Deno.cron(job.name, job.schedule, { backoffSchedule: CRON_RETRY_MS }, async () => {
    await runCronJob(job, config);
  });
}
