/**
 * The offline provider replay server: answers on the real providers' paths in their exact formats,
 * from real recordings (pipelines/replay/recordings) and a deterministic simulated market.
 * @module
 */
import { Hono, type MiddlewareHandler } from "hono";
import { alpacaRoutes } from "./alpaca.ts";
import { alphaVantageRoutes } from "./alphavantage.ts";
import { staticFileRoutes } from "./static_files.ts";
import { secRoutes } from "./sec.ts";
import { yahooRoutes } from "./yahoo.ts";

export interface ReplayOptions {
  seed?: number;
  /** Extra route registrars. */
  routes?: ((app: Hono) => void)[];
  /** Runs before every route (fault injection). */
  middleware?: MiddlewareHandler[];
  /** "Today" for the simulated market. */
  now?: () => Date;
}

/** The environment that points every provider's base URL at a replay server. */
export function replayProviderEnv(url: string): Record<string, string> {
  return Object.fromEntries(
    [
      "TICKLAKE_YAHOO_URL",
      "TICKLAKE_NASDAQTRADER_URL",
      "TICKLAKE_SEC_URL",
      "TICKLAKE_SEC_DATA_URL",
      "TICKLAKE_ALPHAVANTAGE_URL",
      "TICKLAKE_ALPACA_DATA_URL",
    ].map((k) => [k, url]),
  );
}

export function createReplayApp(opts: ReplayOptions = {}): Hono {
  const app = new Hono();
  for (const m of opts.middleware ?? []) app.use("*", m);
  app.get("/health", (c) => c.json({ ok: true }));
  const market = { seed: opts.seed, now: opts.now };
  for (
    const register of [
      yahooRoutes(market),
      alphaVantageRoutes(market),
      alpacaRoutes(market),
      staticFileRoutes(),
      secRoutes(market),
      ...(opts.routes ?? []),
    ]
  ) register(app);
  return app;
}

export function startReplayServer(
  opts: ReplayOptions & { port?: number; hostname?: string } = {},
): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const app = createReplayApp(opts);
  const hostname = opts.hostname ?? "127.0.0.1";
  const server = Deno.serve({ port: opts.port ?? 0, hostname, onListen() {} }, app.fetch);
  const port = server.addr.port;
  return Promise.resolve({ url: `http://${hostname}:${port}`, port, close: () => server.shutdown() });
}
