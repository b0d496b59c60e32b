/**
 * Time as a dependency: production uses the real clock, tests a fake one whose `sleep` resolves
 * when the test advances time, so nothing waits on the wall clock.
 * @module
 */

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or at once when `cut` aborts (so no timer outlives its owner). */
  sleep(ms: number, cut?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, cut) =>
    new Promise((resolve) => {
      if (cut?.aborted) return resolve();
      const wake = () => {
        clearTimeout(timer);
        cut?.removeEventListener("abort", wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      cut?.addEventListener("abort", wake, { once: true });
    }),
};

export interface FakeClock extends Clock {
  /** Move time forward, resolving every sleep that falls due, in order. */
  advance(ms: number): Promise<void>;
  /** Advance straight to the next pending sleep, if any; returns whether one was due. */
  next(): Promise<boolean>;
  /** Keep advancing to the next sleep until `p` settles; throws if it waits on nothing. */
  run<T>(p: Promise<T>): Promise<T>;
  readonly pending: number;
}

/** Real time a fake clock's `run` waits with no timer due before it calls the promise stuck. */
const IDLE_LIMIT_MS = 20_000;

/**
 * @example
 * ```ts
 * import { createFakeClock } from "./clock.ts";
 * const clock = createFakeClock(0);
 * let woke = false;
 * clock.sleep(1000).then(() => woke = true);
 * await clock.advance(1000);
 * if (!woke || clock.now() !== 1000) throw new Error();
 * ```
 */
export function createFakeClock(start = 0): FakeClock {
  let t = start;
  let seq = 0;
  const timers: { at: number; seq: number; resolve: () => void }[] = [];
  const settle = () => new Promise<void>((r) => setTimeout(r, 0));
  async function runUntil(limit: number) {
    for (;;) {
      timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const due = timers[0];
      if (!due || due.at > limit) break;
      timers.shift();
      t = Math.max(t, due.at);
      due.resolve();
      await settle();
    }
    t = Math.max(t, limit);
    await settle();
  }
  return {
    now: () => t,
    sleep(ms, cut) {
      return new Promise<void>((resolve) => {
        if (cut?.aborted) return resolve();
        const timer = { at: t + Math.max(0, ms), seq: seq++, resolve };
        timers.push(timer);
        cut?.addEventListener("abort", () => {
          const i = timers.indexOf(timer);
          if (i >= 0) timers.splice(i, 1);
          resolve();
        }, { once: true });
      });
    },
    advance: (ms) => runUntil(t + ms),
    async next() {
      timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      if (!timers.length) return false;
      await runUntil(timers[0].at);
      return true;
    },
    async run<T>(p: Promise<T>): Promise<T> {
      let settled = false;
      p.then(() => settled = true, () => settled = true);
      // Real I/O (a local server, a file) may hold the promise with no fake timer due; a slow
      // machine takes its time over that, so idleness is judged in real time, not in ticks.
      for (let idleSince = performance.now(); !settled;) {
        await settle();
        if (settled) break;
        if (timers.length) {
          idleSince = performance.now();
          await this.next();
        } else if (performance.now() - idleSince > IDLE_LIMIT_MS) {
          throw new Error("Cannot finish: the promise waits on something other than the fake clock");
        }
      }
      return p;
    },
    get pending() {
      return timers.length;
    },
  };
}
