/**
 * Two processes on one lake calling the same provider share its rate limit: the replay server
 * enforces Yahoo's limit the way a provider does (429 past 10 calls in a second), and two ingests
 * started together, each allowed 8 calls a second, get no 429 between them.
 */
import assert from "node:assert/strict";
import { layout } from "../lake/layout.ts";
import { createLocalStore } from "../lake/store_local.ts";
import { simulatedSymbols } from "../pipelines/jobs/universe.ts";
import { faultInjection } from "../pipelines/replay/faults.ts";
import { replayProviderEnv, startReplayServer } from "../pipelines/replay/server.ts";
import { runMain } from "./support/run_main.ts";

Deno.test("two ingests at once on one lake together keep Yahoo's limit, and leave no presence behind", async () => {
  const yahoo = faultInjection({
    paths: [],
    enforceLimits: { "/v8/finance/chart": { perSecond: 10, style: "http429" } },
  });
  const replay = await startReplayServer({ middleware: [yahoo.middleware] });
  try {
    const root = await Deno.makeTempDir();
    // Each process alone stays under the limit; two unaware of each other would make 16 a second.
    const env = { ...replayProviderEnv(replay.url), TICKLAKE_LAKE: root, TICKLAKE_RATE_LIMITS: "yahoo:8/s" };
    const symbols = simulatedSymbols(120);
    const ingest = (part: string[]) =>
      runMain(["ingest", "--symbols", part.join(","), "--from", "2025-06-02", "--to", "2025-06-13", "--json"], env);
    const runs = await Promise.all([ingest(symbols.slice(0, 60)), ingest(symbols.slice(60))]);
    for (const run of runs) {
      assert.equal(run.code, 0, run.err.slice(-2000));
      assert.equal(JSON.parse(run.out).symbols_ok, 60);
    }
    const { limited, requests } = yahoo.stats();
    assert.equal(limited, 0, "no call over the limit");
    assert.ok(requests >= 120, `${requests} requests`);
    assert.deepEqual(await createLocalStore(root).list(layout.pacersPrefix("yahoo")), [], "both left");
  } finally {
    await replay.close();
  }
});
