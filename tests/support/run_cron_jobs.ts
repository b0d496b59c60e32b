/**
 * Runs every scheduled job once, as `Deno.cron` would: `tests/deploy_test.ts` starts this with
 * writes, FFI (native addons) and subprocesses denied, as on Deno Deploy.
 * @module
 */
import { loadConfig } from "../../config.ts";
import { CRON_JOBS, runCronJob } from "../../pipelines/cron_jobs.ts";

const config = loadConfig();
for (const job of CRON_JOBS) {
  console.log(JSON.stringify({ job: job.name, result: await runCronJob(job, config) }));
}
