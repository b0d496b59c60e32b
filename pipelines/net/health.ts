/**
 * A provider's health from its recent calls: 0.45 x breaker + 0.25 x latency + 0.20 x (1 - error
 * rate) + 0.10 x completeness (the seed design's weights). Latency scores 1 at or below the
 * target and falls linearly to 0 at ten times the target.
 * @module
 */
import type { BreakerState } from "./circuit_breaker.ts";

export interface HealthSnapshot {
  provider: string;
  score: number;
  breaker: BreakerState;
  p50LatencyMs: number | null;
  errorRate: number;
  completeness: number;
  quotaLeft: number | null;
  calls: number;
}

export function createHealth(provider: string, { window = 50, targetLatencyMs = 1_000 } = {}) {
  const calls: { ok: boolean; latencyMs: number; completeness: number }[] = [];
  const push = (c: (typeof calls)[number]) => {
    calls.push(c);
    if (calls.length > window) calls.shift();
  };
  return {
    record(ok: boolean, latencyMs: number, completeness = ok ? 1 : 0) {
      push({ ok, latencyMs, completeness });
    },
    snapshot(breaker: BreakerState, quotaLeft: number | null = null): HealthSnapshot {
      const lat = calls.map((c) => c.latencyMs).sort((a, b) => a - b);
      const p50 = lat.length ? lat[Math.floor(lat.length / 2)] : null;
      const errorRate = calls.length ? calls.filter((c) => !c.ok).length / calls.length : 0;
      const completeness = calls.length ? calls.reduce((s, c) => s + c.completeness, 0) / calls.length : 1;
      const breakerScore = breaker === "closed" ? 1 : breaker === "half_open" ? 0.5 : 0;
      const latencyScore = p50 === null
        ? 1
        : Math.max(0, Math.min(1, 1 - (p50 - targetLatencyMs) / (9 * targetLatencyMs)));
      const score = 0.45 * breakerScore + 0.25 * latencyScore + 0.2 * (1 - errorRate) + 0.1 * completeness;
      return {
        provider,
        score: Number(score.toFixed(4)),
        breaker,
        p50LatencyMs: p50,
        errorRate,
        completeness,
        quotaLeft,
        calls: calls.length,
      };
    },
  };
}
