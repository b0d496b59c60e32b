/**
 * A circuit breaker per provider: closed -> open after `failureThreshold` consecutive failures ->
 * half-open after `openMs`, letting one probe through -> closed on its success, open again on
 * its failure.
 * @module
 */
import type { Clock } from "./clock.ts";

export type BreakerState = "closed" | "open" | "half_open";

export interface CircuitBreaker {
  /** Whether a call may go out now (a half-open breaker lets exactly one probe through). */
  allow(): boolean;
  success(): void;
  failure(): void;
  readonly state: BreakerState;
}

export function createCircuitBreaker(
  { failureThreshold = 5, openMs = 60_000, clock }: { failureThreshold?: number; openMs?: number; clock: Clock },
): CircuitBreaker {
  let state: BreakerState = "closed";
  let failures = 0;
  let openedAt = 0;
  let probing = false;
  const refresh = () => {
    if (state === "open" && clock.now() - openedAt >= openMs) {
      state = "half_open";
      probing = false;
    }
  };
  return {
    get state() {
      refresh();
      return state;
    },
    allow() {
      refresh();
      if (state === "closed") return true;
      if (state === "half_open" && !probing) return probing = true;
      return false;
    },
    success() {
      state = "closed";
      failures = 0;
      probing = false;
    },
    failure() {
      refresh();
      failures++;
      if (state === "half_open" || failures >= failureThreshold) {
        state = "open";
        openedAt = clock.now();
        probing = false;
      }
    },
  };
}
