/**
 * The scheduled collectors under Deno Deploy's limits: every job in `CRON_JOBS` runs once in a
 * process that may not write to disk, load native addons (FFI) or start subprocesses, against a
 * real S3 protocol server and the replay server, and lands its data in the S3 lake.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { openStore } from "../lake/open_store.ts";
import { loadConfig } from "../config.ts";
import { CRON_JOBS } from "../pipelines/cron_jobs.ts";
import { replayProviderEnv, startReplayServer } from "../pipelines/replay/server.ts";
import { startS3rver } from "./support/s3rver.ts";

const DEPLOY_LIMITS = [
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-sys",
  "--deny-write",
  "--deny-ffi",
  "--deny-run",
];

/** Run a script of this repository with Deploy's limits and only the given environment. */
async function underDeployLimits(script: string, env: Record<string, string>) {
  const keep = ["HOME", "PATH", "DENO_DIR", "XDG_CACHE_HOME"].flatMap((k) => {
    const v = Deno.env.get(k);
    return v === undefined ? [] : [[k, v]];
  });
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...DEPLOY_LIMITS, fileURLToPath(new URL(script, import.meta.url))],
    env: { ...Object.fromEntries(keep), ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout), stderr: new TextDecoder().decode(out.stderr) };
}

/** The npm packages in a module's import graph. */
async function npmPackagesOf(module: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", fileURLToPath(new URL(module, import.meta.url))],
    stdout: "piped",
  }).output();
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: { kind: string; npmPackage?: string }[] };
  return info.modules.filter((m) => m.kind === "npm").map((m) => m.npmPackage!);
}

Deno.test({
  name: "every cron job runs with disk writes, native addons and subprocesses denied, into an S3 lake",
  sanitizeResources: false,
  async fn() {
    const s3 = await startS3rver();
    const replay = await startReplayServer({ port: 0, hostname: "127.0.0.1" });
    const watchlist = await Deno.makeTempFile({ suffix: ".txt" });
    // MUR: the company whose SEC facts the replay has recorded.
    await Deno.writeTextFile(watchlist, "AAPL\nMSFT\nMUR\n");
    try {
      const env = {
        ...s3.env("deploy"),
        ...replayProviderEnv(replay.url),
        TICKLAKE_DAILY_BUDGET: "3",
        TICKLAKE_WATCHLIST: watchlist,
        ALPHAVANTAGE_API_KEY: "test",
      };
      // The control: the native engine is refused under these limits.
      const native = await underDeployLimits("./support/native_engine.ts", env);
      assert.notEqual(native.code, 0, "the DuckDB engine must not load under Deploy's limits");
      assert.match(native.stderr, /Requires ffi access/);

      const run = await underDeployLimits("./support/run_cron_jobs.ts", env);
      assert.equal(run.code, 0, run.stderr.slice(-2000));
      const results = run.stdout.trim().split("\n").map((l) => JSON.parse(l));
      assert.deepEqual(results.map((r) => r.job), CRON_JOBS.map((j) => j.name));
      const [symbols, daily, minutes, fundamentals, reconcile] = results.map((r) => r.result);
      assert.deepEqual([daily.symbols_ok, daily.symbols_failed], [3, 0], "the budget's three tier-A symbols");
      assert.ok(daily.rows_inserted > 0, "a week has sessions");
      assert.deepEqual([minutes.symbols_ok, minutes.symbols_failed], [3, 0], "the watchlist's three symbols");
      // MUR's recorded facts, and the replay's simulated ones for the others.
      assert.deepEqual([fundamentals.symbols_ok, fundamentals.failures.length], [3, 0]);
      assert.ok(fundamentals.rows_inserted > 10_000, JSON.stringify(fundamentals));
      assert.ok(symbols.active > 0, JSON.stringify(symbols));
      // The week's check against Alpha Vantage (the replay's, the same market): the daily close's
      // three symbols, their week of bars, no difference.
      assert.deepEqual([reconcile.symbols_checked, reconcile.failures], [3, []], JSON.stringify(reconcile));
      assert.ok(reconcile.days_compared >= 3, JSON.stringify(reconcile));
      assert.deepEqual(Object.values(reconcile.counts), [0, 0, 0, 0, 0, 0, 0]);

      const keys = (await openStore(loadConfig(s3.env("deploy")).lake).list("")).map((o) => o.key);
      const landed = [
        "curated/daily_bars/year=",
        "curated/fundamentals/",
        "reference/symbols/",
        "state/runs/",
        "raw/yahoo/chart_1d/",
        "raw/alphavantage/daily_adjusted/",
      ];
      for (const prefix of landed) {
        assert.ok(keys.some((k) => k.startsWith(prefix)), `${prefix} in the S3 lake`);
      }
      if (minutes.rows_inserted > 0) assert.ok(keys.some((k) => k.startsWith("curated/minute_bars/month=")));
    } finally {
      await replay.close();
      await s3.close();
      await Deno.remove(watchlist);
    }
  },
});

Deno.test("the crons' import graph holds no native addon; the query API's does (the check can see one)", async () => {
  const crons = await npmPackagesOf("../pipelines/crons.ts");
  assert.ok(crons.some((p) => p.startsWith("parquet-wasm@")), crons.join(", "));
  assert.deepEqual(crons.filter((p) => p.startsWith("@duckdb/node-")), []);
  assert.ok((await npmPackagesOf("../lake/query.ts")).some((p) => p.startsWith("@duckdb/node-api@")));
});
