/**
 * Structured logging: one JSON line per event on stderr, and a progress tracker that reports
 * done/total, rate and ETA. Secrets never reach here: callers pass URLs through `redactUrl`.
 * @module
 */

export type Fields = Record<string, unknown>;

export interface Logger {
  info(event: string, fields?: Fields): void;
  warn(event: string, fields?: Fields): void;
  error(event: string, fields?: Fields): void;
}

/** Query parameters that carry credentials at some provider. */
const SECRET_PARAMS = /^(apikey|api_key|token|key|secret|password)$/i;

/**
 * Remove credential-bearing query parameters from a URL.
 *
 * @example
 * ```ts
 * import { redactUrl } from "./log.ts";
 * const u = redactUrl("https://www.alphavantage.co/query?function=X&apikey=SECRET");
 * if (u.includes("SECRET")) throw new Error(u);
 * ```
 */
export function redactUrl(url: string): string {
  const u = new URL(url);
  for (const k of [...u.searchParams.keys()]) if (SECRET_PARAMS.test(k)) u.searchParams.delete(k);
  u.username = "";
  u.password = "";
  return u.toString();
}

/** A logger that writes JSON lines to `write` (stderr by default). */
export function createLogger(
  { write = (line: string) => console.error(line), now = () => new Date(), base = {} as Fields } = {},
): Logger {
  const emit = (level: string, event: string, fields?: Fields) =>
    write(JSON.stringify({ ts: now().toISOString(), level, event, ...base, ...fields }));
  return {
    info: (e, f) => emit("info", e, f),
    warn: (e, f) => emit("warn", e, f),
    error: (e, f) => emit("error", e, f),
  };
}

/** A logger that drops everything, for tests that do not look at logs. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/**
 * Track progress of `total` units and log `event` with done/total, rate and ETA at most every
 * `everyMs` (and always on the last unit).
 */
export function createProgress(
  log: Logger,
  event: string,
  total: number,
  { now = () => performance.now(), everyMs = 1000 } = {},
) {
  const start = now();
  let last = -Infinity;
  let done = 0;
  return {
    tick(n = 1, fields?: Fields) {
      done += n;
      const t = now();
      if (t - last < everyMs && done < total) return;
      last = t;
      const secs = Math.max((t - start) / 1000, 1e-9);
      const rate = done / secs;
      const eta = rate > 0 ? (total - done) / rate : null;
      log.info(event, {
        done,
        total,
        rate_per_s: Number(rate.toFixed(2)),
        eta_s: eta === null ? null : Number(eta.toFixed(1)),
        ...fields,
      });
    },
    get done() {
      return done;
    },
  };
}
