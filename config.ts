/**
 * The one reader of `Deno.env`: every setting is parsed with zod into a typed {@linkcode Config}.
 * @module
 */
import { z } from "zod";

/** Alpaca's market data host, the default of `TICKLAKE_ALPACA_DATA_URL`. */
export const ALPACA_DATA_URL = "https://data.alpaca.markets";

const url = z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ""));

/** The providers Ticklake calls, as the rate limits and quotas name them. */
const PROVIDERS = ["yahoo", "alphavantage", "alpaca", "sec", "nasdaqtrader"];

/** `provider:value,...`, each value read by `read`; an unknown provider or a bad value is an issue. */
const perProvider = <T>(expected: string, read: (text: string) => T | undefined) =>
  z.string().transform((text, ctx) => {
    const out: Record<string, T> = {};
    for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
      const m = /^([a-z]+):(.+)$/.exec(part);
      const n = m && PROVIDERS.includes(m[1]) ? read(m[2].trim()) : undefined;
      if (n === undefined) {
        ctx.addIssue({
          code: "custom",
          message: `expected provider:${expected} (${PROVIDERS.join(", ")}), got '${part}'`,
        });
        return z.NEVER;
      }
      out[m![1]] = n;
    }
    return out;
  });

const perWindow = (text: string) => {
  const m = /^(\d+(?:\.\d+)?)\/(s|min)$/.exec(text);
  const calls = m ? Number(m[1]) : 0;
  return calls > 0 ? { calls, windowS: m![2] === "min" ? 60 : 1 } : undefined;
};
const perDay = (text: string) => (/^\d+$/.test(text) ? Number(text) : undefined);

const EnvSchema = z.object({
  TICKLAKE_LAKE: z.string().min(1).default("./data"),
  AWS_ENDPOINT_URL: url.optional(),
  TICKLAKE_S3_ENDPOINT: url.optional(),
  AWS_REGION: z.string().min(1).default("us-east-1"),
  AWS_ACCESS_KEY_ID: z.string().optional(),
  AWS_SECRET_ACCESS_KEY: z.string().optional(),
  TICKLAKE_S3_PATH_STYLE: z.enum(["true", "false", "1", "0"]).optional(),
  TICKLAKE_YAHOO_URL: url.default("https://query1.finance.yahoo.com"),
  TICKLAKE_YAHOO_USER_AGENT: z.string().trim().min(1).optional(),
  TICKLAKE_ALPHAVANTAGE_URL: url.default("https://www.alphavantage.co"),
  TICKLAKE_ALPACA_DATA_URL: url.default(ALPACA_DATA_URL),
  TICKLAKE_SEC_URL: url.default("https://www.sec.gov"),
  TICKLAKE_SEC_DATA_URL: url.default("https://data.sec.gov"),
  TICKLAKE_NASDAQTRADER_URL: url.default("https://www.nasdaqtrader.com"),
  ALPHAVANTAGE_API_KEY: z.string().optional(),
  APCA_API_KEY_ID: z.string().optional(),
  APCA_API_SECRET_KEY: z.string().optional(),
  TICKLAKE_SEC_USER_AGENT: z.string().default("Ticklake research contact@example.com"),
  TICKLAKE_CACHE_DIR: z.string().default("./.cache"),
  TICKLAKE_TOKEN: z.string().min(8, "must be at least 8 characters").optional(),
  PORT: z.coerce.number().int().min(1).max(65535).default(8000),
  TICKLAKE_WATCHLIST: z.string().optional(),
  TICKLAKE_NASDAQ100: z.string().optional(),
  TICKLAKE_DAILY_BUDGET: z.coerce.number().int().min(1).default(2000),
  TICKLAKE_LOCK_WAIT_S: z.coerce.number().min(0).optional(),
  TICKLAKE_RATE_LIMITS: perProvider("N/s or N/min", perWindow).optional(),
  TICKLAKE_DAILY_QUOTAS: perProvider("calls a day, 0 for none", perDay).optional(),
});

/** Where the lake lives: a local directory or an S3 bucket with a key prefix. */
export type LakeLocation =
  & (
    | { kind: "local"; root: string }
    | {
      kind: "s3";
      bucket: string;
      prefix: string;
      endpoint?: string;
      region: string;
      forcePathStyle: boolean;
      credentials?: { accessKeyId: string; secretAccessKey: string };
    }
  )
  & {
    /** How long a job waits for a table another job is writing before it gives up (default: no limit). */
    lockWaitMs?: number;
  };

/** Typed configuration. Secrets live under `keys` so that logging code can leave them out. */
export interface Config {
  lake: LakeLocation;
  cacheDir: string;
  port: number;
  /** The user's watchlist file (one symbol per line): tier B of the daily plan. */
  watchlist?: string;
  /** A Nasdaq-100 constituents file (one symbol per line), joined to the S&P 500 as tier A. */
  nasdaq100?: string;
  /** Calls the daily job may spend (Yahoo has no published daily quota; be polite). */
  dailyBudget: number;
  /** Provider limits that replace the free tiers' defaults, for a paid plan. */
  net: {
    /** Calls a second or a minute, per provider (`TICKLAKE_RATE_LIMITS`). */
    rateLimits: Record<string, { calls: number; windowS: number }>;
    /** Calls a day, per provider; 0 lifts the daily limit (`TICKLAKE_DAILY_QUOTAS`). */
    callsPerDay: Record<string, number>;
  };
  token?: string;
  providers: {
    yahoo: string;
    /** Replaces the browser User-Agent the Yahoo client sends (Yahoo refuses clients that do not look like one). */
    yahooUserAgent?: string;
    alphavantage: string;
    alpacaData: string;
    sec: string;
    secData: string;
    nasdaqtrader: string;
    secUserAgent: string;
  };
  keys: {
    alphavantage?: string;
    alpacaKeyId?: string;
    alpacaSecret?: string;
  };
}

/** A configuration value is invalid; the message names the variable. */
export class ConfigError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConfigError";
  }
}

/** Where and as whom the Yahoo clients call: the base URL and the User-Agent (unset: the client's browser one). */
export function yahooConnection(providers: Config["providers"]): { baseUrl: string; userAgent?: string } {
  return { baseUrl: providers.yahoo, userAgent: providers.yahooUserAgent };
}

/**
 * Parse a lake location: a path, or `s3://bucket/prefix`.
 *
 * @example Parse an S3 location
 * ```ts
 * import { parseLakeLocation } from "./config.ts";
 * const loc = parseLakeLocation("s3://lake/prod", { region: "us-east-1", forcePathStyle: true });
 * if (loc.kind !== "s3" || loc.bucket !== "lake" || loc.prefix !== "prod") throw new Error();
 * ```
 */
export function parseLakeLocation(
  value: string,
  s3: Omit<Extract<LakeLocation, { kind: "s3" }>, "kind" | "bucket" | "prefix">,
): LakeLocation {
  if (!value.startsWith("s3://")) return { kind: "local", root: value };
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(value);
  if (!m) {
    throw new ConfigError(
      `Cannot use lake '${value}' as an S3 location: expected s3://bucket[/prefix] with a valid bucket name`,
    );
  }
  const prefix = (m[2] ?? "").replace(/^\/+|\/+$/g, "");
  if (prefix.split("/").some((p) => p === ".." || p === ".")) {
    throw new ConfigError(`Cannot use lake '${value}': the prefix may not contain '.' or '..' segments`);
  }
  return { kind: "s3", bucket: m[1], prefix, ...s3 };
}

/**
 * Read the configuration from an environment map (defaults to `Deno.env`).
 *
 * @example Override one provider URL
 * ```ts
 * import { loadConfig } from "./config.ts";
 * const cfg = loadConfig({ TICKLAKE_YAHOO_URL: "http://127.0.0.1:9000/" });
 * if (cfg.providers.yahoo !== "http://127.0.0.1:9000") throw new Error();
 * ```
 */
export function loadConfig(env: Record<string, string | undefined> = Deno.env.toObject()): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Cannot load configuration: ${lines.join("; ")}`, { cause: parsed.error });
  }
  const e = parsed.data;
  const creds = e.AWS_ACCESS_KEY_ID && e.AWS_SECRET_ACCESS_KEY
    ? { accessKeyId: e.AWS_ACCESS_KEY_ID, secretAccessKey: e.AWS_SECRET_ACCESS_KEY }
    : undefined;
  const endpoint = e.TICKLAKE_S3_ENDPOINT ?? e.AWS_ENDPOINT_URL;
  const lake = parseLakeLocation(e.TICKLAKE_LAKE, {
    endpoint,
    region: e.AWS_REGION,
    // A custom endpoint (MinIO, s3rver, R2) almost always wants path-style addressing.
    forcePathStyle: e.TICKLAKE_S3_PATH_STYLE ? ["true", "1"].includes(e.TICKLAKE_S3_PATH_STYLE) : !!endpoint,
    credentials: creds,
  });
  if (e.TICKLAKE_LOCK_WAIT_S !== undefined) lake.lockWaitMs = e.TICKLAKE_LOCK_WAIT_S * 1000;
  return {
    lake,
    cacheDir: e.TICKLAKE_CACHE_DIR,
    port: e.PORT,
    watchlist: e.TICKLAKE_WATCHLIST,
    nasdaq100: e.TICKLAKE_NASDAQ100,
    dailyBudget: e.TICKLAKE_DAILY_BUDGET,
    net: { rateLimits: e.TICKLAKE_RATE_LIMITS ?? {}, callsPerDay: e.TICKLAKE_DAILY_QUOTAS ?? {} },
    token: e.TICKLAKE_TOKEN,
    providers: {
      yahoo: e.TICKLAKE_YAHOO_URL,
      yahooUserAgent: e.TICKLAKE_YAHOO_USER_AGENT,
      alphavantage: e.TICKLAKE_ALPHAVANTAGE_URL,
      alpacaData: e.TICKLAKE_ALPACA_DATA_URL,
      sec: e.TICKLAKE_SEC_URL,
      secData: e.TICKLAKE_SEC_DATA_URL,
      nasdaqtrader: e.TICKLAKE_NASDAQTRADER_URL,
      secUserAgent: e.TICKLAKE_SEC_USER_AGENT,
    },
    keys: {
      alphavantage: e.ALPHAVANTAGE_API_KEY,
      alpacaKeyId: e.APCA_API_KEY_ID,
      alpacaSecret: e.APCA_API_SECRET_KEY,
    },
  };
}
