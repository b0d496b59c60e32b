/**
 * Budget figures for the providers: how much of a daily quota a backfill uses (fake clock), and
 * whether an ingest completes without a single 429 against a replay server that enforces the
 * real limit, compared with the same ingest without our limiter.
 * @module
 */
import { createWasmEngine } from "../lake/parquet/wasm_engine.ts";
import { createLocalStore } from "../lake/store_local.ts";
import { yahooDailySource } from "../pipelines/jobs/daily_sources.ts";
import { ingestDaily } from "../pipelines/jobs/ingest_daily.ts";
import { createProviderNet } from "../pipelines/jobs/provider_net.ts";
import { simulatedSymbols } from "../pipelines/jobs/universe.ts";
import { runBackfill } from "../pipelines/net/backfill.ts";
import { createFakeClock } from "../pipelines/net/clock.ts";
import { createDailyQuota, memoryQuotaState } from "../pipelines/net/quota.ts";
import { createTokenBucket } from "../pipelines/net/rate_limiter.ts";
import { faultInjection } from "../pipelines/replay/faults.ts";
import { startReplayServer } from "../pipelines/replay/server.ts";
import type { Figure } from "./table.ts";

export async function budgetFigures(): Promise<Figure[]> {
  // Alpha Vantage free tier: 25 calls a day, 2 kept in reserve, 5 a minute; 500 symbols to fill.
  const clock = createFakeClock(Date.UTC(2026, 0, 5));
  const quota = createDailyQuota({ limit: 25, reserve: 2, clock, state: memoryQuotaState() });
  const bucket = createTokenBucket({ capacity: 1, perSecond: 5 / 60 }, clock);
  const { callsPerDay } = await clock.run(
    runBackfill(simulatedSymbols(500), { clock, quota, bucket, call: () => Promise.resolve() }),
  );
  const full = [...callsPerDay.values()].slice(0, -1);
  const utilisation = full.reduce((a, b) => a + b, 0) / (full.length * 23);

  const now = () => new Date("2024-06-28T23:00:00Z");
  const symbols = simulatedSymbols(24);
  const run = async (limited: boolean) => {
    // The replay server answers more than 4 calls a second the way Yahoo does: HTTP 429.
    const enforcer = faultInjection({ paths: [], enforceLimits: { "/v8/": { perSecond: 4, style: "http429" } } });
    const replay = await startReplayServer({ now, middleware: [enforcer.middleware] });
    const store = createLocalStore(await Deno.makeTempDir());
    const net = createProviderNet({
      store,
      // Any 1 s window holds at most capacity + rate = 3.5 grants: under the enforced 4, with room for jitter.
      limits: { yahoo: limited ? { capacity: 1, perSecond: 2.5 } : { capacity: 1000, perSecond: 1000 } },
      quotas: {},
      breaker: { failureThreshold: 1000 },
    });
    const t = performance.now();
    const s = await ingestDaily({
      store,
      engine: createWasmEngine(),
      source: yahooDailySource({ baseUrl: replay.url, now }),
      net: {
        router: net.router,
        clock: net.clock,
        retry: {
          rateLimitedDelaysMs: [1000, 2000, 4000],
          transientDelaysMs: [100, 200, 400],
          jitter: 0.2,
          maxWaitMs: 60_000,
        },
      },
      symbols,
      from: "2024-01-02",
      to: "2024-06-28",
      now,
      concurrency: 8,
    });
    await replay.close();
    return { ok: s.symbols_ok, limited: enforcer.stats().limited, ms: performance.now() - t };
  };
  const ours = await run(true);
  const greedy = await run(false);
  return [
    {
      name: "backfill quota utilisation (AV 25/day)",
      value: utilisation * 100,
      unit: "%",
      ratio: utilisation,
      target: ">= 99% of the allowed budget",
      pass: utilisation >= 0.99,
    },
    {
      name: "429s against limit-enforcing replay",
      value: ours.limited,
      unit: "429s",
      baseline: { name: "same ingest without our limiter", value: greedy.limited },
      target:
        `0 429s and ${symbols.length}/${symbols.length} symbols (got ${ours.ok}/${symbols.length}; greedy got ${greedy.ok})`,
      pass: ours.limited === 0 && ours.ok === symbols.length,
    },
  ];
}
