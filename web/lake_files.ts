/**
 * Read-only HTTP access to the lake's curated and reference Parquet, with Range support so that
 * DuckDB-WASM fetches only the footer and the row groups it needs. Every path is confined to the
 * lake: traversal in any spelling is refused before a key is built.
 * @module
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { assertKey, type ObjectInfo, type ObjectStore } from "../lake/store.ts";

const SERVED_PREFIXES = ["curated/", "reference/"];

/** The lake key a `/lake/...` request names, or an HTTP 400/404. */
export function keyFromPath(rawPath: string): string {
  const rest = rawPath.replace(/^\/lake\//, "");
  // Refuse encoded dots, slashes and backslashes outright: a decoded `..` must never appear.
  if (/%2e|%2f|%5c|%00/i.test(rest) || rest.includes("\\") || rest.includes("..") || rest.startsWith("/")) {
    throw new HTTPException(400, { message: "Cannot serve this path: it leaves the lake" });
  }
  let key: string;
  try {
    key = decodeURIComponent(rest);
    assertKey(key);
  } catch {
    throw new HTTPException(400, { message: "Cannot serve this path: not a lake key" });
  }
  if (!SERVED_PREFIXES.some((p) => key.startsWith(p))) throw new HTTPException(404, { message: "Not found" });
  return key;
}

/** Parse one `bytes=` range against a size: `[start, end]` inclusive, or `undefined` for none. */
export function parseRange(header: string | undefined, size: number): [number, number] | "unsatisfiable" | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return "unsatisfiable";
  if (m[1] === "") {
    const n = Number(m[2]);
    return n === 0 ? "unsatisfiable" : [Math.max(0, size - n), size - 1];
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  return start >= size || end < start ? "unsatisfiable" : [start, end];
}

/**
 * An object's version as the catalog hands it out: a page asks for byte ranges of the version it
 * read the footer of, and an object replaced since (an ingest rewrote the partition) must not
 * answer with ranges of the new one.
 */
function objectVersion(info: ObjectInfo): string {
  // Whole seconds: S3 lists modification times in milliseconds but its HEAD answers in seconds.
  return `${info.size}-${Math.floor((info.modified?.getTime() ?? 0) / 1000)}`;
}

/** An object as the catalog lists it: its URL names the version it has now. */
export function catalogFile(info: ObjectInfo): { key: string; url: string; size: number } {
  return { key: info.key, url: `/lake/${info.key}?v=${objectVersion(info)}`, size: info.size };
}

/** Serve a GET or HEAD for `/lake/*` (`?v=` names the version wanted). `onBytes` counts what was sent. */
export async function serveLakeFile(c: Context, store: ObjectStore, onBytes: (n: number) => void): Promise<Response> {
  const key = keyFromPath(new URL(c.req.url).pathname);
  const info = await store.head(key);
  if (!info) throw new HTTPException(404, { message: "Not found" });
  const wanted = c.req.query("v");
  if (wanted !== undefined && wanted !== objectVersion(info)) {
    throw new HTTPException(412, { message: `${key} changed since the catalog named version ${wanted}` });
  }
  const headers: Record<string, string> = {
    "accept-ranges": "bytes",
    "content-type": key.endsWith(".parquet") ? "application/vnd.apache.parquet" : "application/octet-stream",
    "cache-control": "no-cache",
    ...(info.modified ? { "last-modified": info.modified.toUTCString() } : {}),
  };
  const range = parseRange(c.req.header("range"), info.size);
  if (range === "unsatisfiable") {
    return new Response(null, { status: 416, headers: { ...headers, "content-range": `bytes */${info.size}` } });
  }
  const [start, end] = range ?? [0, info.size - 1];
  const length = Math.max(0, end - start + 1);
  headers["content-length"] = String(length);
  if (range) headers["content-range"] = `bytes ${start}-${end}/${info.size}`;
  const status = range ? 206 : 200;
  if (c.req.method === "HEAD") return new Response(null, { status, headers });
  const body = range ? await store.getRange(key, start, end) : await store.get(key);
  if (!body) throw new HTTPException(404, { message: "Not found" });
  onBytes(body.length);
  return new Response(body as Uint8Array<ArrayBuffer>, { status, headers });
}
