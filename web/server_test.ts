import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { gunzipSync, zstdDecompressSync } from "node:zlib";
import { layout } from "../lake/layout.ts";
import { createLocalStore } from "../lake/store_local.ts";
import { lockHolder, StoreError } from "../lake/store.ts";
import type { LockEntry } from "../lake/locks.ts";
import { createApp } from "./server.ts";
import { keyFromPath, parseRange } from "./lake_files.ts";

async function lakeWithFile() {
  const store = createLocalStore(await Deno.makeTempDir());
  await store.put(layout.dailyBarsPartition(2024), "0123456789");
  await store.put("state/runs/secret.json", "{}");
  return store;
}

Deno.test("createApp() serves curated Parquet with HTTP Range and HEAD", async () => {
  const app = createApp({ store: await lakeWithFile() });
  const part = await app.request("/lake/curated/daily_bars/year=2024/data.parquet", {
    headers: { range: "bytes=2-5" },
  });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get("content-range"), "bytes 2-5/10");
  assert.equal(await part.text(), "2345");
  const head = await app.request("/lake/curated/daily_bars/year=2024/data.parquet", { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("content-length"), "10");
  assert.equal(head.headers.get("accept-ranges"), "bytes");
  const bad = await app.request("/lake/curated/daily_bars/year=2024/data.parquet", {
    headers: { range: "bytes=20-30" },
  });
  assert.equal(bad.status, 416);
});

Deno.test("createApp() serves the version of a file its catalog named, and refuses it once replaced (412)", async () => {
  const store = await lakeWithFile();
  const app = createApp({ store });
  const catalog = await (await app.request("/api/catalog")).json();
  const url: string = catalog.tables.find((t: { name: string }) => t.name === "daily_bars").files[0].url;
  assert.match(url, /^\/lake\/curated\/daily_bars\/year=2024\/data\.parquet\?v=10-\d+$/);
  assert.equal(await (await app.request(url, { headers: { range: "bytes=0-3" } })).text(), "0123");
  // An ingest renames a new partition over the old: its ranges must not pass for the old one's.
  await store.put(layout.dailyBarsPartition(2024), "0123456789abc");
  for (const method of ["GET", "HEAD"]) {
    const stale = await app.request(url, { method, headers: { range: "bytes=0-3" } });
    assert.equal(stale.status, 412, method);
    await stale.body?.cancel();
  }
  const fresh = (await (await app.request("/api/catalog")).json()).tables[0].files[0].url;
  assert.notEqual(fresh, url);
  assert.equal(await (await app.request(fresh, { headers: { range: "bytes=10-12" } })).text(), "abc");
});

Deno.test("createApp() confines /lake to curated and reference objects", async () => {
  const app = createApp({ store: await lakeWithFile() });
  const cases: [string, number][] = [
    ["/lake/..%2f..%2fetc%2fpasswd", 400],
    // URL parsing resolves %2e%2e segments before routing: this lands outside /lake and 404s.
    ["/lake/%2e%2e/%2e%2e/deno.json", 404],
    ["/lake/curated/..%5c..%5cdeno.json", 400],
    ["/lake/curated/%252e%252e/x", 400],
    ["/lake/state/runs/secret.json", 404],
    ["/lake/raw/yahoo/x.json", 404],
    ["/lake/curated/daily_bars/year=1999/data.parquet", 404],
  ];
  for (const [path, status] of cases) {
    const res = await app.request(path);
    assert.equal(res.status, status, path);
    assert.ok(!(await res.text()).includes("at "), "no stack trace");
  }
  assert.throws(() => keyFromPath("/lake/curated/a/../../x"));
});

Deno.test("parseRange() handles open, suffix and invalid ranges", () => {
  assert.deepEqual(parseRange("bytes=0-", 10), [0, 9]);
  assert.deepEqual(parseRange("bytes=-4", 10), [6, 9]);
  assert.deepEqual(parseRange("bytes=5-100", 10), [5, 9]);
  assert.equal(parseRange("bytes=9-2", 10), "unsatisfiable");
  assert.equal(parseRange("items=1-2", 10), "unsatisfiable");
  assert.equal(parseRange(undefined, 10), undefined);
});

Deno.test("createApp() answers a hostile query string with a 400 JSON error", async () => {
  const app = createApp({ store: await lakeWithFile() });
  for (const q of ["q=%3Cscript%3E", "q=" + "A".repeat(100), "limit=-5", "limit=abc"]) {
    const res = await app.request(`/api/symbols?${q}`);
    assert.equal(res.status, 400, q);
    const body = await res.json();
    assert.match(body.error, /^Invalid query/);
  }
  const runs = await app.request("/api/runs?limit=1e9");
  assert.equal(runs.status, 400);
});

Deno.test("createApp() answers 503 while the lake is out of reach, and keeps the reason for its log", async () => {
  const local = createLocalStore(await Deno.makeTempDir());
  const down = new StoreError("Cannot list s3://b/lake/curated/: cannot reach http://10.0.0.1:9000");
  const app = createApp({ store: { ...local, list: () => Promise.reject(down) } });
  const logged: string[] = [];
  const { error } = console;
  console.error = (line: string) => void logged.push(line);
  try {
    const res = await app.request("/api/catalog");
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { error: "The lake is unavailable: see the server's log" });
  } finally {
    console.error = error;
  }
  assert.match(logged.join("\n"), /cannot reach http:\/\/10\.0\.0\.1:9000/);
});

Deno.test("createApp() with a token refuses requests without it and accepts header, query and cookie", async () => {
  const app = createApp({ store: await lakeWithFile(), token: "s3cret-token" });
  assert.equal((await app.request("/api/catalog")).status, 401);
  assert.equal((await app.request("/api/catalog", { headers: { authorization: "Bearer wrong-token!" } })).status, 401);
  assert.equal((await app.request("/api/catalog", { headers: { authorization: "Bearer s3cret-token" } })).status, 200);
  const page = await app.request("/?token=s3cret-token");
  assert.equal(page.status, 200);
  const cookie = page.headers.get("set-cookie")!;
  assert.match(cookie, /ticklake_token=s3cret-token/);
  assert.match(cookie, /HttpOnly/);
  const withCookie = await app.request("/lake/curated/daily_bars/year=2024/data.parquet", {
    headers: { cookie: "ticklake_token=s3cret-token" },
  });
  assert.equal(withCookie.status, 200);
  assert.equal((await app.request("/health")).status, 200);
});

Deno.test("createApp() serves DuckDB-WASM from its own origin and exposes metrics", async () => {
  const app = createApp({ store: await lakeWithFile() });
  const wasm = await app.request("/duckdb/duckdb-eh.wasm");
  assert.equal(wasm.status, 200);
  assert.equal(wasm.headers.get("content-type"), "application/wasm");
  assert.equal(new Uint8Array(await wasm.arrayBuffer()).slice(0, 4).join(","), "0,97,115,109");
  assert.equal((await app.request("/duckdb/other.js")).status, 404);
  await app.request("/lake/curated/daily_bars/year=2024/data.parquet");
  const metrics = await (await app.request("/metrics")).text();
  assert.match(metrics, /ticklake_lake_bytes_served_total 10/);
  assert.match(metrics, /ticklake_http_requests_total\{route="\/duckdb\/:file",status="200"\} 1/);
  const catalog = await (await app.request("/api/catalog")).json();
  assert.equal(catalog.duckdbWasm, "1.28.0");
  assert.deepEqual(catalog.tables[0].files.map((f: { key: string }) => f.key), [layout.dailyBarsPartition(2024)]);
});

Deno.test("createApp() lets a browser revalidate the app bundle instead of downloading it again", async () => {
  const app = createApp({ store: await lakeWithFile() });
  for (const path of ["/app.js", "/app.css"]) {
    const first = await app.request(path);
    assert.equal(first.status, 200);
    assert.equal(first.headers.get("cache-control"), "no-cache");
    const tag = first.headers.get("etag");
    assert.ok(tag, `${path} has an ETag`);
    assert.ok((await first.arrayBuffer()).byteLength > 0);
    const again = await app.request(path, { headers: { "if-none-match": tag } });
    assert.equal(again.status, 304);
    assert.equal((await again.arrayBuffer()).byteLength, 0);
    assert.equal((await app.request(path, { headers: { "if-none-match": '"stale"' } })).status, 200);
  }
});

Deno.test("createApp() sends DuckDB-WASM and the bundle compressed when the browser accepts it", async () => {
  const app = createApp({ store: await lakeWithFile() });
  const original = await Deno.readFile(
    new URL("../node_modules/@duckdb/duckdb-wasm/dist/duckdb-eh.wasm", import.meta.url),
  );
  const decoders: Record<string, (b: Uint8Array) => Buffer> = { zstd: zstdDecompressSync, gzip: gunzipSync };
  for (
    const [accept, encoding] of [["gzip, deflate, br, zstd", "zstd"], ["gzip", "gzip"], ["zstd;q=0, gzip", "gzip"]]
  ) {
    const res = await app.request("/duckdb/duckdb-eh.wasm", { headers: { "accept-encoding": accept } });
    assert.equal(res.headers.get("content-encoding"), encoding, accept);
    assert.equal(res.headers.get("vary"), "Accept-Encoding");
    const body = new Uint8Array(await res.arrayBuffer());
    assert.ok(body.length < original.length / 3, `${encoding}: ${body.length} of ${original.length} bytes`);
    assert.ok(Buffer.from(decoders[encoding](body)).equals(original), `${encoding} decodes to the file`);
  }
  const plain = await app.request("/duckdb/duckdb-eh.wasm", { headers: { "accept-encoding": "identity" } });
  assert.equal(plain.headers.get("content-encoding"), null);
  assert.ok(Buffer.from(await plain.arrayBuffer()).equals(original));

  // The bundle is compressed too, and still revalidates: each encoding has its own ETag.
  const zstd = { "accept-encoding": "zstd" };
  const js = await app.request("/app.js", { headers: zstd });
  assert.equal(js.headers.get("content-encoding"), "zstd");
  const bundle = new TextDecoder().decode(zstdDecompressSync(new Uint8Array(await js.arrayBuffer())));
  assert.match(bundle, /duckdb/i);
  const tag = js.headers.get("etag")!;
  assert.equal((await app.request("/app.js", { headers: { ...zstd, "if-none-match": tag } })).status, 304);
  assert.notEqual((await app.request("/app.js")).headers.get("etag"), tag);
});

Deno.test("createApp() lists the lake's held locks at /api/locks, and none once released", async () => {
  const store = await lakeWithFile();
  const app = createApp({ store });
  const lock = await store.lock(layout.lock("daily_bars"), lockHolder("ingest_daily"));
  const { locks } = await (await app.request("/api/locks")).json();
  assert.deepEqual(
    locks.map((l: LockEntry) => [l.name, l.state, l.holder?.job, l.holder?.pid]),
    [["daily_bars", "held", "ingest_daily", Deno.pid]],
  );
  await lock.release();
  assert.deepEqual((await (await app.request("/api/locks")).json()).locks, []);
});

Deno.test("the pinned DuckDB-WASM version constant matches the deno.json import", async () => {
  const { DUCKDB_WASM_VERSION } = await import("./client/duckdb_version.ts");
  const imports = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url))).imports;
  assert.equal(imports["@duckdb/duckdb-wasm"], `npm:@duckdb/duckdb-wasm@${DUCKDB_WASM_VERSION}`);
});
