/**
 * A graceful stop for long jobs. The first Ctrl-C (SIGINT) or SIGTERM asks the job to take no
 * new symbols and to land what it has fetched, so that hours of a backfill become queryable at
 * once and the same command resumes the rest. A second signal quits at once: a killed job loses
 * nothing either, it only lands its rows on the rerun.
 * @module
 */
import type { Logger } from "./log.ts";

const SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const;
export type StopSignalName = keyof typeof SIGNALS;

/** Why a job was asked to stop, as its `AbortSignal.reason`. */
export class StopRequested extends Error {
  constructor(readonly signal: StopSignalName) {
    super(`stopped by ${signal}`);
    this.name = "StopRequested";
  }
  /** The shell's exit code for a process that a signal ended: 128 + its number. */
  get exitCode(): number {
    return 128 + SIGNALS[this.signal];
  }
}

export interface StopListener extends Disposable {
  signal: AbortSignal;
}

/**
 * Listen for SIGINT and SIGTERM while the returned listener lives. Where a signal cannot be
 * listened to (Deno Deploy, SIGTERM on Windows) it is simply not heard.
 */
export function listenForStop(log: Logger, exit: (code: number) => void = Deno.exit): StopListener {
  const controller = new AbortController();
  const handlers = new Map<StopSignalName, () => void>();
  for (const name of Object.keys(SIGNALS) as StopSignalName[]) {
    const handler = () => {
      if (controller.signal.aborted) {
        log.warn("run.quit", { signal: name });
        exit(new StopRequested(name).exitCode);
        return;
      }
      log.warn("run.stopping", {
        signal: name,
        hint: "no new symbols are started; what was fetched is landed, and the same command resumes the rest. " +
          "Send it again to quit now",
      });
      controller.abort(new StopRequested(name));
    };
    try {
      Deno.addSignalListener(name, handler);
      handlers.set(name, handler);
    } catch { /* not available here */ }
  }
  return {
    signal: controller.signal,
    [Symbol.dispose]() {
      for (const [name, handler] of handlers) Deno.removeSignalListener(name, handler);
    },
  };
}

export const STOPPED = Symbol("stopped");

/**
 * What `work` gives, or {@linkcode STOPPED} as soon as `signal` aborts: a job does not wait for
 * a symbol in flight, which may sit in a retry's wait for minutes. Work left behind carries on
 * unwatched, and its failure is nobody's.
 */
export function unlessStopped<T>(work: Promise<T>, signal?: AbortSignal): Promise<T | typeof STOPPED> {
  if (!signal) return work;
  work.catch(() => {});
  return new Promise((resolve, reject) => {
    const stop = () => resolve(STOPPED);
    if (signal.aborted) return stop();
    signal.addEventListener("abort", stop, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", stop));
  });
}

/** The exit code of a job that `signal` stopped, or undefined when it ran its course. */
export function stoppedExit(signal: AbortSignal): number | undefined {
  return signal.reason instanceof StopRequested ? signal.reason.exitCode : undefined;
}
