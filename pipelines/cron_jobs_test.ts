import assert from "node:assert/strict";
import { keptLog } from "../tests/support/kept_log.ts";
import { type Config, loadConfig } from "../config.ts";
import { CRON_JOBS, CRON_LOCK_WAIT_MS, CRON_RETRY_MS, cronTurns, runCronJob } from "./cron_jobs.ts";

Deno.test("runCronJob() logs a failed run as one line and throws it on, for Deno.cron to retry", async () => {
  const config = loadConfig({});
  const log = keptLog();
  const busy = new Error("Cannot take the lock daily_bars: job ingest_daily held it");
  busy.name = "LockWaitTimeoutError";
  const failing = { name: "ticklake daily close", schedule: "30 22 * * MON-FRI", run: () => Promise.reject(busy) };
  await assert.rejects(runCronJob(failing, config, { log }), (e) => e === busy);
  assert.deepEqual(log.events, [{
    event: "cron.failed",
    job: "ticklake daily close",
    error: "LockWaitTimeoutError",
    message: busy.message,
  }]);
  const done = { ...failing, run: () => Promise.resolve({ symbols_ok: 3 }) };
  assert.deepEqual(await runCronJob(done, config, { log }), { symbols_ok: 3 });
  assert.deepEqual([log.events[1].event, log.events[1].job], ["cron.done", "ticklake daily close"]);
});

Deno.test("CRON_RETRY_MS stays within Deno.cron's limits: 5 retries, an hour apart at most", () => {
  assert.ok(CRON_RETRY_MS.length >= 1 && CRON_RETRY_MS.length <= 5);
  assert.ok(CRON_RETRY_MS.every((ms) => ms > 0 && ms <= 3_600_000));
});

Deno.test("runCronJob() gives a scheduled run a lock-wait limit, unless TICKLAKE_LOCK_WAIT_S sets one", async () => {
  const seen: (number | undefined)[] = [];
  const job = {
    name: "probe",
    schedule: "0 0 * * *",
    run: (c: Config) => Promise.resolve(void seen.push(c.lake.lockWaitMs)),
  };
  await runCronJob(job, loadConfig({}), { log: keptLog() });
  await runCronJob(job, loadConfig({ TICKLAKE_LOCK_WAIT_S: "90" }), { log: keptLog() });
  assert.deepEqual(seen, [CRON_LOCK_WAIT_MS, 90_000]);
});

Deno.test("CRON_JOBS name their days of the week: Deno.cron counts 1 as Sunday, so a number would shift the day", () => {
  const days = Object.fromEntries(CRON_JOBS.map((j) => [j.name, j.schedule.split(" ")[4]]));
  assert.deepEqual(days, {
    "ticklake symbol master": "MON-FRI",
    "ticklake daily close": "MON-FRI",
    // The sessions of Monday to Friday, after their post-market ends past midnight UTC.
    "ticklake minute bars": "TUE-SAT",
    "ticklake fundamentals": "SAT",
    "ticklake reconcile": "SUN",
  });
});

Deno.test("runCronJob() hands the process's stop signal to the job", async () => {
  const stop = new AbortController();
  let seen: AbortSignal | undefined;
  const job = {
    name: "probe",
    schedule: "0 0 * * *",
    run: (_: Config, s?: AbortSignal) => Promise.resolve(void (seen = s)),
  };
  await runCronJob(job, loadConfig({}), { log: keptLog(), stop: stop.signal });
  assert.equal(seen, stop.signal);
});

Deno.test("cronTurns(): a stop ends the process once the run under way ends, and a run firing after it never starts", async () => {
  const stop = new AbortController();
  let exits = 0;
  const turn = cronTurns(stop.signal, () => exits++);
  const landing = Promise.withResolvers<void>();
  const underWay = turn(() => landing.promise);
  stop.abort();
  assert.equal(exits, 0, "not while a run is landing what it fetched");
  let late = false;
  await turn(() => Promise.resolve(late = true));
  assert.equal(late, false, "a run firing after the stop does not start");
  landing.resolve();
  await underWay;
  assert.equal(exits, 1);

  // Idle when stopped: at once.
  const idle = new AbortController();
  let idleExits = 0;
  cronTurns(idle.signal, () => idleExits++);
  idle.abort();
  assert.equal(idleExits, 1);
});
