/**
 * The dashboard's Hono server. It serves the bundled browser app, DuckDB-WASM's files from our
 * own origin, the lake's curated Parquet (read-only, with Range) and small JSON endpoints. It
 * never computes chart data: the browser queries the Parquet itself.
 * @module
 */
import { type Context, Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { etag } from "hono/etag";
import { HTTPException } from "hono/http-exception";
import { timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { CURATED_TABLES, layout } from "../lake/layout.ts";
import { createWasmEngine } from "../lake/parquet/wasm_engine.ts";
import { listRuns } from "../lake/runs.ts";
import { listLocks } from "../lake/locks.ts";
import { CURATED_SPECS } from "../lake/schemas/curated.ts";
import { SYMBOLS } from "../lake/schemas/symbols.ts";
import type { SymbolRow } from "../lake/schemas/symbols.ts";
import { type ObjectStore, StoreError } from "../lake/store.ts";
import { readSymbolMaster } from "../lake/symbols_table.ts";
import { appBundle } from "./build.ts";
import { catalogFile, serveLakeFile } from "./lake_files.ts";
import { negotiated } from "./compressed.ts";
import { createMetrics } from "./metrics.ts";
import { DUCKDB_WASM_VERSION } from "./client/duckdb_version.ts";

const DUCKDB_DIST = new URL(`../node_modules/@duckdb/duckdb-wasm/dist/`, import.meta.url);
const DUCKDB_FILES: Record<string, string> = {
  "duckdb-eh.wasm": "application/wasm",
  "duckdb-mvp.wasm": "application/wasm",
  "duckdb-browser-eh.worker.js": "text/javascript",
  "duckdb-browser-mvp.worker.js": "text/javascript",
};
/** Read once per process: the files are fixed, and one body keeps its compressed copies. */
const duckdbFiles = new Map<string, Promise<Uint8Array>>();
function duckdbFile(file: string): Promise<Uint8Array> {
  let bytes = duckdbFiles.get(file);
  if (!bytes) duckdbFiles.set(file, bytes = Deno.readFile(new URL(file, DUCKDB_DIST)));
  return bytes;
}

export interface AppOptions {
  store: ObjectStore;
  /** When set, every route requires it (Bearer header, cookie, or `?token=` on page load). */
  token?: string;
  /** Provider health rows for /api/providers, when the providers module is wired in. */
  providerHealth?: () => Promise<unknown[]>;
}

const SearchSchema = z.object({
  q: z.string().max(32).regex(/^[\w .&-]*$/, "only letters, digits, spaces and . & - are allowed").default(""),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

function sameSecret(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a), y = new TextEncoder().encode(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Build the app. Tests call `app.request()` directly; `serve()` binds it to a port.
 *
 * @example Health check without a socket
 * ```ts
 * import { createApp } from "./server.ts";
 * import { createLocalStore } from "../lake/store_local.ts";
 * const app = createApp({ store: createLocalStore(await Deno.makeTempDir()) });
 * const res = await app.request("/health");
 * if (res.status !== 200) throw new Error();
 * ```
 */
export function createApp({ store, token, providerHealth }: AppOptions) {
  const app = new Hono();
  const metrics = createMetrics();
  const engine = createWasmEngine();
  let symbolCache: { size: number; rows: SymbolRow[] } | undefined;

  app.onError((err, c) => {
    if (err instanceof HTTPException) return c.json({ error: err.message }, err.status);
    if (err instanceof z.ZodError) {
      return c.json({
        error: `Invalid query: ${err.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      }, 400);
    }
    console.error(JSON.stringify({ level: "error", event: "web.error", message: err.message }));
    // The lake out of reach is no defect of this server: 503, and the log says what to check.
    if (err instanceof StoreError) return c.json({ error: "The lake is unavailable: see the server's log" }, 503);
    return c.json({ error: "Internal error" }, 500);
  });

  app.use("*", async (c, next) => {
    await next();
    const route = c.req.routePath || "unmatched";
    metrics.request(route, c.res.status);
  });

  if (token) {
    app.use("*", async (c, next) => {
      if (c.req.path === "/health") return await next();
      const bearer = c.req.header("authorization")?.replace(/^Bearer /, "");
      const query = c.req.query("token");
      const cookie = getCookie(c, "ticklake_token");
      const given = bearer ?? query ?? cookie;
      if (!given || !sameSecret(given, token)) throw new HTTPException(401, { message: "A valid token is required" });
      // DuckDB-WASM's range requests cannot add headers: an HttpOnly cookie carries the token.
      if (query) setCookie(c, "ticklake_token", query, { httpOnly: true, sameSite: "Strict", path: "/" });
      await next();
    });
  }

  app.get("/health", (c) => c.json({ ok: true, lake: store.url.startsWith("file://") ? "local" : "s3" }));
  app.get("/metrics", (c) => c.body(metrics.render(), 200, { "content-type": "text/plain; version=0.0.4" }));

  app.get("/", (c) => c.html(indexHtml()));
  app.get("/favicon.ico", (c) => c.body(null, 204));
  // The bundle is revalidated on each visit (a 304 while it is unchanged) rather than sent again.
  const revalidate = { "cache-control": "no-cache" };
  app.use("/app.*", etag());
  const send = async (c: Context, bytes: Uint8Array, headers: Record<string, string>) => {
    const { body, headers: sent } = await negotiated(bytes, c.req.header("accept-encoding"), headers);
    return c.body(body, 200, sent);
  };
  app.get(
    "/app.js",
    async (c) => send(c, (await appBundle()).js, { "content-type": "text/javascript", ...revalidate }),
  );
  app.get("/app.css", async (c) => send(c, (await appBundle()).css, { "content-type": "text/css", ...revalidate }));
  app.get("/duckdb/:file", async (c) => {
    const file = c.req.param("file");
    const type = DUCKDB_FILES[file];
    if (!type) throw new HTTPException(404, { message: "Not found" });
    return send(c, await duckdbFile(file), { "content-type": type, "cache-control": "public, max-age=86400" });
  });

  app.on(["GET", "HEAD"], "/lake/*", (c) => serveLakeFile(c, store, (n) => metrics.lakeBytes(n)));

  app.get("/api/catalog", async (c) => {
    const tables = [];
    for (const table of CURATED_TABLES) {
      const files = (await store.list(layout.curatedPrefix(table))).filter((o) => o.key.endsWith(".parquet"));
      tables.push({
        name: table,
        columns: CURATED_SPECS[table],
        files: files.map(catalogFile),
      });
    }
    const sym = await store.head(layout.symbols);
    if (sym) {
      tables.push({
        name: "symbols",
        columns: SYMBOLS,
        files: [catalogFile(sym)],
      });
    }
    return c.json({ duckdbWasm: DUCKDB_WASM_VERSION, tables });
  });

  app.get("/api/symbols", async (c) => {
    const { q, limit } = SearchSchema.parse(c.req.query());
    const head = await store.head(layout.symbols);
    if (!head) return c.json({ symbols: [] });
    if (symbolCache?.size !== head.size) symbolCache = { size: head.size, rows: await readSymbolMaster(store, engine) };
    const needle = q.trim().toUpperCase();
    const hits = symbolCache.rows
      .filter((r) => !needle || r.symbol.startsWith(needle) || r.name.toUpperCase().includes(needle))
      .sort((a, b) => Number(b.symbol === needle) - Number(a.symbol === needle) || a.symbol.length - b.symbol.length)
      .slice(0, limit)
      .map(({ symbol, name, exchange, asset_type, status }) => ({ symbol, name, exchange, asset_type, status }));
    return c.json({ symbols: hits });
  });

  app.get("/api/runs", async (c) => {
    const limit = z.coerce.number().int().min(1).max(500).default(50).parse(c.req.query("limit"));
    const runs = await listRuns(store, limit);
    const byReason: Record<string, number> = {};
    for (const r of runs) for (const f of r.failures) byReason[f.reason] = (byReason[f.reason] ?? 0) + 1;
    return c.json({ runs, failuresByReason: byReason });
  });

  app.get(
    "/api/providers",
    async (c) =>
      c.json(
        providerHealth
          ? { providers: await providerHealth() }
          : { providers: [], note: "provider health is not wired into this server" },
      ),
  );

  app.get("/api/locks", async (c) => c.json({ locks: await listLocks(store) }));

  app.get("/api/stats", (c) => c.json({ lakeBytesServed: metrics.lakeBytesServed }));

  return app;
}

function indexHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ticklake</title>
<link rel="stylesheet" href="/app.css">
</head>
<body>
<header><a class="brand" href="/">Ticklake</a>
<nav>
<a data-page="symbol" href="/?page=symbol">Symbol</a>
<a data-page="compare" href="/?page=compare">Compare</a>
<a data-page="screener" href="/?page=screener">Screener</a>
<a data-page="coverage" href="/?page=coverage">Coverage</a>
<a data-page="pipeline" href="/?page=pipeline">Pipeline</a>
<a data-page="sql" href="/?page=sql">SQL</a>
</nav></header>
<main id="app"><p class="loading">Loading…</p></main>
<script type="module" src="/app.js"></script>
</body>
</html>`;
}

/** Serve the app on a port until the process ends. */
export function serve({ port, hostname = "0.0.0.0", ...opts }: AppOptions & { port: number; hostname?: string }) {
  const app = createApp(opts);
  void appBundle(); // build the browser bundle now, not on the first page load
  return Deno.serve({ port, hostname, onListen() {} }, app.fetch);
}
