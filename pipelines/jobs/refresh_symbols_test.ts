import assert from "node:assert/strict";
import { createWasmEngine } from "../../lake/parquet/wasm_engine.ts";
import { createLocalStore } from "../../lake/store_local.ts";
import { StoreError } from "../../lake/store.ts";
import { loadConfig } from "../../config.ts";
import { readSymbolMaster } from "../../lake/symbols_table.ts";
import { refreshSymbols } from "./refresh_symbols.ts";
import { createProviderNet } from "./provider_net.ts";
import { createFakeClock } from "../net/clock.ts";
import { type Fields, silentLogger } from "../log.ts";

const testdata = (p: string) => new URL(`../sources/${p}`, import.meta.url);

const DELISTED = [
  "symbol,name,exchange,assetType,ipoDate,delistingDate,status",
  "AAPL,Apple Inc,NASDAQ,Stock,1980-12-12,2026-01-06,Delisted",
  // A reused ticker: an earlier security's dates must not land on today's MSFT.
  "MSFT,An Earlier Msft Corp,NYSE,Stock,1970-01-02,1979-05-01,Delisted",
  "GONECO,Gone Company Inc,NYSE,Stock,1999-03-01,2012-08-15,Delisted",
].join("\r\n");

/**
 * A directory server whose nasdaqlisted reply a test can swap, and whose Alpha Vantage active
 * list leaves out the symbols in `avGone`.
 */
function directoryServer(nasdaqlisted: () => Promise<Response>, avGone: Set<string>) {
  return Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/dynamic/SymDir/nasdaqlisted.txt") return await nasdaqlisted();
    if (path === "/dynamic/SymDir/otherlisted.txt") {
      return new Response(await Deno.readFile(testdata("nasdaqtrader/testdata/otherlisted_2025-07-21.txt")));
    }
    if (path === "/query") {
      const state = new URL(req.url).searchParams.get("state");
      if (state === "delisted") return new Response(DELISTED);
      const active = await Deno.readTextFile(testdata("alphavantage/testdata/listing_status_active_2021-12.csv"));
      return new Response(active.split("\r\n").filter((l) => !avGone.has(l.slice(0, l.indexOf(",")))).join("\r\n"));
    }
    if (path === "/files/company_tickers.json") {
      assert.ok(req.headers.get("user-agent")?.includes("@"), "SEC needs a contact User-Agent");
      return new Response(await Deno.readFile(testdata("sec/testdata/company_tickers.json")));
    }
    return new Response("not found", { status: 404 });
  });
}

const recordedNasdaqListed = async () =>
  new Response(await Deno.readFile(testdata("nasdaqtrader/testdata/nasdaqlisted_2025-07-21.txt")));

/** The configuration's provider URLs, each pointing at `server`. */
function providersOn(server: Deno.HttpServer<Deno.NetAddr>) {
  const base = `http://127.0.0.1:${server.addr.port}`;
  return loadConfig({ TICKLAKE_NASDAQTRADER_URL: base, TICKLAKE_SEC_URL: base, TICKLAKE_ALPHAVANTAGE_URL: base })
    .providers;
}

Deno.test("refreshSymbols() builds the master, keeps it on a bad listing, and marks vanished symbols delisted", async () => {
  let nasdaq = recordedNasdaqListed;
  const avGone = new Set<string>();
  const server = directoryServer(() => nasdaq(), avGone);
  try {
    const config = providersOn(server);
    const store = createLocalStore(await Deno.makeTempDir());
    const engine = createWasmEngine();

    const first = await refreshSymbols({
      store,
      engine,
      config,
      alphaVantageKey: "k",
      now: () => new Date("2026-01-05T12:00:00Z"),
    });
    assert.equal(first.usedLastGood, false);
    const master = await readSymbolMaster(store, engine);
    assert.equal(master.length, first.active + 1);
    assert.equal(first.addedDelisted, 1);
    const types = Object.entries(first.activeByType);
    assert.equal(types.reduce((n, [, k]) => n + k, 0), first.active, "every active security has one type");
    for (const [type, n] of types) {
      assert.equal(n, master.filter((r) => r.status === "active" && r.asset_type === type).length, type);
    }
    const goneCo = master.find((r) => r.symbol === "GONECO")!;
    assert.deepEqual(
      [goneCo.status, goneCo.ipo_date, goneCo.delisting_date, goneCo.first_seen, goneCo.last_seen],
      ["delisted", "1999-03-01", "2012-08-15", "1999-03-01", "2012-08-15"],
      "a security delisted before the directory was read comes from Alpha Vantage",
    );
    assert.match(goneCo.raw_ref, /^raw\/alphavantage\/listing_status\/.*delisted.*\.csv$/);
    assert.ok(await store.head(goneCo.raw_ref), "its lineage points at a stored reply");
    assert.equal(master.find((r) => r.symbol === "MSFT")?.ipo_date, "1986-03-13", "the listed MSFT keeps its own IPO");
    const aapl = master.find((r) => r.symbol === "AAPL")!;
    assert.deepEqual([aapl.exchange, aapl.cik, aapl.first_seen, aapl.status], [
      "NASDAQ",
      "0000320193",
      "2026-01-05",
      "active",
    ]);
    assert.deepEqual([aapl.ipo_date, aapl.delisting_date], ["1980-12-12", null], "IPO date from LISTING_STATUS");
    assert.equal(master.find((r) => r.symbol === "BRK.B")?.yahoo_symbol, "BRK-B");

    nasdaq = async () =>
      new Response(await Deno.readFile(testdata("nasdaqtrader/testdata/nasdaqtrader_page_not_available_error.html")));
    const bad = await refreshSymbols({ store, engine, config, now: () => new Date("2026-01-06T12:00:00Z") });
    assert.equal(bad.usedLastGood, true);
    assert.match(bad.error!, /HTML/);
    assert.deepEqual(await readSymbolMaster(store, engine), master);

    const text = await Deno.readTextFile(testdata("nasdaqtrader/testdata/nasdaqlisted_2025-07-21.txt"));
    nasdaq = () => Promise.resolve(new Response(text.split("\n").filter((l) => !l.startsWith("AAPL|")).join("\n")));
    avGone.add("AAPL");
    const third = await refreshSymbols({
      store,
      engine,
      config,
      alphaVantageKey: "k",
      now: () => new Date("2026-01-07T12:00:00Z"),
    });
    assert.equal(third.delisted, 2, "AAPL, and GONECO from Alpha Vantage");
    const after = await readSymbolMaster(store, engine);
    const gone = after.find((r) => r.symbol === "AAPL")!;
    assert.deepEqual([gone.status, gone.last_seen, gone.first_seen, gone.delisting_date], [
      "delisted",
      "2026-01-05",
      "2026-01-05",
      "2026-01-06",
    ]);
    assert.equal(after.find((r) => r.symbol === "MSFT")?.last_seen, "2026-01-07");
    assert.equal(after.length, master.length);
  } finally {
    await server.shutdown();
  }
});

Deno.test("refreshSymbols() through a provider net: each call counts in its provider's health, and Alpha Vantage's quota holds", async () => {
  const server = directoryServer(recordedNasdaqListed, new Set());
  try {
    const config = providersOn(server);
    const store = createLocalStore(await Deno.makeTempDir());
    // One call left today: the active list takes it, and the delisted list is not asked for.
    const clock = createFakeClock(Date.parse("2026-01-05T12:00:00Z"));
    const net = createProviderNet({ store, clock, quotas: { alphavantage: { limit: 1, reserve: 0 } } });
    const warned: string[] = [];
    const log = { ...silentLogger, warn: (event: string, f?: Fields) => void warned.push(`${event} ${f?.message}`) };
    const summary = await clock.run(
      refreshSymbols({ store, engine: createWasmEngine(), config, alphaVantageKey: "k", net, log }),
    );
    assert.equal(summary.usedLastGood, false);
    assert.equal(summary.addedDelisted, 0);
    const calls = Object.fromEntries((await net.snapshot()).map((h) => [h.provider, [h.calls, h.quotaLeft]]));
    assert.deepEqual(
      [calls.nasdaqtrader, calls.sec, calls.alphavantage],
      [[2, null], [1, null], [1, 0]],
    );
    assert.ok(warned.some((w) => /listing_status_failed .*alphavantage: daily quota spent/.test(w)), warned.join("\n"));
    assert.equal(
      (await store.list("raw/alphavantage/listing_status/")).filter((o) => o.key.endsWith(".csv")).length,
      1,
    );
  } finally {
    await server.shutdown();
  }
});

Deno.test("refreshSymbols() on a lake that refuses writes fails with the store's error, not as a bad listing", async () => {
  const server = directoryServer(recordedNasdaqListed, new Set());
  try {
    const store = createLocalStore(await Deno.makeTempDir());
    const full = new StoreError("Cannot write raw/x: the disk is full");
    // SEC's and the directory's replies both land in raw first; each write meets the full disk.
    for (const refused of ["raw/nasdaqtrader/", "raw/sec/"]) {
      const filling = {
        ...store,
        put: (k: string, b: Uint8Array | string) => k.startsWith(refused) ? Promise.reject(full) : store.put(k, b),
      };
      await assert.rejects(
        refreshSymbols({ store: filling, engine: createWasmEngine(), config: providersOn(server), log: silentLogger }),
        (e) => e === full,
      );
    }
  } finally {
    await server.shutdown();
  }
});
