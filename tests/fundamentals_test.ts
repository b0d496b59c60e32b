/**
 * SEC company facts over real HTTP from the replay server (the recorded Murphy Oil reply, and
 * simulated facts for other companies) into the `fundamentals` table: CIKs from the symbol master,
 * failures per symbol, reruns, a restated value, a resume after SIGKILL or a stop.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../config.ts";
import { createWasmEngine } from "../lake/parquet/wasm_engine.ts";
import { openLake } from "../lake/query.ts";
import { createLocalStore } from "../lake/store_local.ts";
import { ingestFundamentals, rebuildFundamentals } from "../pipelines/jobs/ingest_fundamentals.ts";
import { refreshSymbols } from "../pipelines/jobs/refresh_symbols.ts";
import { readSymbolMaster } from "../lake/symbols_table.ts";
import { storedReplies } from "../lake/raw.ts";
import { type ObjectStore, StoreError } from "../lake/store.ts";
import type { ParquetEngine } from "../lake/parquet/engine.ts";
import { killMainWhen } from "./support/kill_mid_run.ts";
import { startReplayServer } from "../pipelines/replay/server.ts";
import { createEdgarClient, parseCompanyFacts } from "../pipelines/sources/sec/edgar.ts";

const RECORDING = new URL("../pipelines/sources/sec/testdata/companyfacts_CIK0000717423.json", import.meta.url);
const NOW = () => new Date("2025-07-22T12:00:00Z");

/**
 * A replay server, a new lake whose symbol master (SEC's CIKs included) came from it, and an SEC
 * client on it; disposing of it closes the server.
 */
async function replayLake() {
  const replay = await startReplayServer({ now: NOW });
  try {
    const root = await Deno.makeTempDir();
    const store = createLocalStore(root);
    const engine = createWasmEngine();
    const config = loadConfig({ TICKLAKE_NASDAQTRADER_URL: replay.url, TICKLAKE_SEC_URL: replay.url });
    await refreshSymbols({ store, engine, config: config.providers, now: NOW });
    const sec = createEdgarClient({ baseUrl: replay.url, userAgent: "Ticklake test ops@example.com" });
    return { url: replay.url, root, store, engine, config, sec, [Symbol.asyncDispose]: () => replay.close() };
  } catch (e) {
    await replay.close();
    throw e;
  }
}

/** The first `n` companies of the master with a CIK, one symbol each (class shares share a CIK, and so a request). */
async function oneSymbolPerCompany(store: ObjectStore, engine: ParquetEngine, n: number): Promise<string[]> {
  const byCik = new Map((await readSymbolMaster(store, engine)).filter((r) => r.cik).map((r) => [r.cik, r.symbol]));
  return [...byCik.values()].sort().slice(0, n);
}

Deno.test("ingestFundamentals() lands every fact of a company once, by filing year; a rerun changes nothing; a restated value replaces its row", async () => {
  await using lab = await replayLake();
  const requests: string[] = [];
  const { store, engine, config, sec } = lab;
  let body: (bytes: Uint8Array) => Uint8Array = (b) => b;
  const companyFacts = async (cik: string) => {
    requests.push(cik);
    const reply = await sec.companyFacts(cik);
    return { ...reply, body: body(reply.body) };
  };
  const run = () => ingestFundamentals({ store, engine, companyFacts, symbols: ["mur", "AAPL", "ZZZZQ"], now: NOW });

  // The oracle: the recording parsed by the client, one row per fact key.
  const parsed = parseCompanyFacts({
    provider: "sec",
    url: "x",
    status: 200,
    contentType: "application/json",
    body: await Deno.readFile(RECORDING),
    fetchedAt: NOW(),
    requestId: "r",
    latencyMs: 0,
  });
  const keys = new Set(parsed.rows.map((r) => [r.taxonomy, r.concept, r.unit, r.end, r.start, r.accn].join("|")));
  const years = new Set(parsed.rows.map((r) => r.filed.slice(0, 4)));

  const first = await run();
  // ZZZZQ is not an SEC registrant: no CIK, no request.
  assert.deepEqual([first.symbols_ok, first.failures.map((f) => [f.symbol, f.reason])], [2, [["ZZZZQ", "no_cik"]]]);
  assert.deepEqual(requests, ["0000320193", "0000717423"], "one request per company with a CIK");
  assert.equal((await store.list("raw/sec/companyfacts/")).filter((o) => !o.key.endsWith(".meta.json")).length, 2);
  const partitions = (await store.list("curated/fundamentals/")).map((o) => o.key);
  for (const y of years) assert.ok(partitions.includes(`curated/fundamentals/filed_year=${y}/data.parquet`), y);

  const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
  try {
    const held = await lake.sql<{ symbol: string; n: number; keys: number; cik: string; source: string }>(
      `SELECT symbol, count(*)::INT AS n, count(DISTINCT (taxonomy, concept, unit, period_end, period_start, accession))::INT AS keys,
         any_value(cik) AS cik, string_agg(DISTINCT source) AS source FROM fundamentals GROUP BY symbol ORDER BY symbol`,
    );
    assert.deepEqual(held[1], { symbol: "MUR", n: keys.size, keys: keys.size, cik: "0000717423", source: "sec" });
    // Apple's facts are the replay's simulation, and say so.
    assert.deepEqual([held[0].symbol, held[0].cik, held[0].source], ["AAPL", "0000320193", "simulated"]);
    assert.equal(first.rows_inserted, keys.size + held[0].n);
    // One fact checked value by value against the client's parse.
    const fact = parsed.rows.find((r) => r.concept === "Assets" && r.form === "10-K")!;
    const [row] = await lake.sql<Record<string, unknown>>(
      `SELECT value, period_start IS NULL AS instant, period_end::VARCHAR AS period_end, fiscal_year, form,
         filed::VARCHAR AS filed, source FROM fundamentals WHERE symbol = 'MUR' AND concept = 'Assets' AND accession = $1
         AND period_end = $2::DATE`,
      [fact.accn, fact.end],
    );
    assert.deepEqual(row, {
      value: fact.val,
      instant: true,
      period_end: fact.end,
      fiscal_year: fact.fy,
      form: "10-K",
      filed: fact.filed,
      source: "sec",
    });
  } finally {
    lake.close();
  }

  // However many companies a run brings, it writes each filing year's partition once, and a
  // company's rows do not depend on the companies around it.
  const fresh = createLocalStore(await Deno.makeTempDir());
  await refreshSymbols({ store: fresh, engine, config: config.providers, now: NOW });
  const opened: string[] = [];
  const counted = { ...fresh, openWrite: (key: string) => (opened.push(key), fresh.openWrite(key)) };
  const five = ["mur", "AAPL", "MSFT", "NVDA", "XOM"];
  const many = await ingestFundamentals({ store: counted, engine, companyFacts, symbols: five, now: NOW });
  assert.equal(many.symbols_ok, 5);
  const written = opened.filter((k) => k.startsWith("curated/fundamentals/"));
  assert.ok(written.length >= years.size);
  assert.deepEqual([written.length, new Set(written).size], [many.partitions_written, many.partitions_written]);
  const facts = async (s: typeof store, lineage = true) => {
    const l = await openLake({ store: s, cacheDir: await Deno.makeTempDir() });
    try {
      return await l.sql<Record<string, unknown>>(
        `SELECT * EXCLUDE (ingested_at${lineage ? "" : ", raw_ref"}) FROM fundamentals
         WHERE symbol IN ('MUR', 'AAPL') ORDER BY ALL`,
      );
    } finally {
      l.close();
    }
  };
  const [two, amongFive] = [await facts(store, false), await facts(fresh, false)];
  assert.equal(two.length, first.rows_inserted);
  assert.equal(JSON.stringify(amongFive), JSON.stringify(two));

  const again = await run();
  assert.deepEqual(
    [again.rows_inserted, again.rows_updated, again.rows_unchanged, again.partitions_written],
    [0, 0, first.rows_inserted, 0],
  );

  // A restated value: that fact's row is replaced (pointing at the new reply), its partition alone rewritten.
  const target = parsed.rows.find((r) => r.concept === "Assets" && r.form === "10-K")!;
  body = (b) => {
    const json = JSON.parse(new TextDecoder().decode(b));
    if (json.cik !== 717423) return b;
    const facts = json.facts["us-gaap"].Assets.units.USD as { accn: string; end: string; val: number }[];
    for (const f of facts) if (f.accn === target.accn && f.end === target.end) f.val += 1;
    return new TextEncoder().encode(JSON.stringify(json));
  };
  const restated = await run();
  assert.deepEqual([restated.rows_updated, restated.rows_inserted, restated.partitions_written], [1, 0, 1]);
  const after = await openLake({ store, cacheDir: await Deno.makeTempDir() });
  try {
    const refs = await after.sql<{ value: number; refs: number }>(
      `SELECT max(value) FILTER (WHERE concept = 'Assets' AND accession = $1 AND period_end = $2::DATE) AS value,
         count(DISTINCT raw_ref)::INT AS refs FROM fundamentals WHERE symbol = 'MUR'`,
      [target.accn, target.end],
    );
    assert.deepEqual(refs, [{ value: target.val + 1, refs: 2 }], "the restated row points at the newer reply");
  } finally {
    after.close();
  }

  const asked = requests.length;
  await assert.rejects(ingestFundamentals({ store, engine, companyFacts, symbols: ["../x"] }), /looks like a path/);
  assert.equal(requests.length, asked, "a hostile symbol makes no request");

  // SEC answers 404 for a CIK it does not list: the symbol fails with that reason, the reply is kept.
  const gone = await ingestFundamentals({
    store,
    engine,
    companyFacts: () => sec.companyFacts("0000000001"),
    symbols: ["AAPL"],
    now: NOW,
  });
  assert.deepEqual(gone.failures.map((f) => [f.symbol, f.reason]), [["AAPL", "not_found"]]);
  const metas = await store.list("raw/sec/companyfacts/");
  const statuses = await Promise.all(
    metas.filter((o) => o.key.endsWith(".meta.json")).map(async (o) =>
      JSON.parse(new TextDecoder().decode((await store.get(o.key))!)).status
    ),
  );
  assert.ok(statuses.includes(404), JSON.stringify(statuses));

  // An HTML error page where JSON was due: malformed, kept in raw, and no row changes.
  const html = await ingestFundamentals({
    store,
    engine,
    companyFacts: async (cik) => ({
      ...(await sec.companyFacts(cik)),
      body: new TextEncoder().encode("<html>busy</html>"),
    }),
    symbols: ["MUR"],
    now: NOW,
  });
  assert.deepEqual(
    [html.failures.map((f) => f.reason), html.rows_inserted + html.rows_updated, html.partitions_written],
    [["malformed"], 0, 0],
  );

  // From raw alone: each symbol's stored replies folded in fetch order give the same table, lineage
  // included; the error replies (the 404, the HTML page) are listed, not parsed.
  const before = await facts(store);
  for (const o of await store.list("curated/fundamentals/")) await store.delete(o.key);
  const rebuilt = await rebuildFundamentals({ store, engine });
  assert.deepEqual([rebuilt.symbols, rebuilt.failed.length, rebuilt.inserted], [2, 2, first.rows_inserted]);
  assert.deepEqual(await facts(store), before);
  const again2 = await rebuildFundamentals({ store, engine });
  assert.deepEqual([again2.inserted, again2.updated, again2.partitions_written], [0, 0, 0]);
});

Deno.test("ingestFundamentals() stopped mid-run lands the companies fetched, and the rerun parses the reply left in flight", async () => {
  await using lab = await replayLake();
  const { store, engine, sec } = lab;
  const symbols = await oneSymbolPerCompany(store, engine, 8);
  const stop = new AbortController();
  const held = Promise.withResolvers<void>();
  let waited = false;
  const timer = setTimeout(() => (waited = true, held.resolve()), 5000);
  const asked: string[] = [];
  const holdingThird = async (cik: string) => {
    asked.push(cik);
    const reply = await sec.companyFacts(cik);
    if (asked.length === 3) stop.abort(), await held.promise;
    return reply;
  };
  const run = { store, engine, symbols };
  const stopped = await ingestFundamentals({ ...run, companyFacts: holdingThird, stop: stop.signal });
  assert.equal(waited, false, "the stop waited for the company in flight");
  clearTimeout(timer);
  held.resolve();
  await new Promise((r) => setTimeout(r, 200)); // the held reply lands in raw
  assert.deepEqual([stopped.symbols_ok, stopped.symbols_failed, stopped.symbols_pending], [2, 0, 6]);
  assert.equal(asked.length, 3);
  assert.equal((await store.list("state/checkpoints/")).length, 1);
  const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
  try {
    const [{ companies }] = await lake.sql<{ companies: number }>(
      "SELECT count(DISTINCT cik)::INT AS companies FROM fundamentals",
    );
    assert.equal(companies, 2);
  } finally {
    lake.close();
  }

  const requests: string[] = [];
  const rerun = await ingestFundamentals({
    ...run,
    companyFacts: (cik) => (requests.push(cik), sec.companyFacts(cik)),
  });
  assert.deepEqual([rerun.resumed, rerun.symbols_ok, rerun.symbols_reparsed], [true, 8, 3]);
  assert.deepEqual(
    requests.filter((cik) => asked.includes(cik)),
    [],
    "nothing fetched before the stop is fetched again",
  );
  assert.equal(requests.length, 5);
  assert.deepEqual(await store.list("state/checkpoints/"), []);
});

Deno.test("ingestFundamentals() ends at a lake that refuses writes, asking SEC about no other company", async () => {
  await using lab = await replayLake();
  const { store, engine, sec } = lab;
  const symbols = await oneSymbolPerCompany(store, engine, 3);
  const full = new StoreError("Cannot write raw/x: the disk is full");
  const filling = {
    ...store,
    put: (k: string, b: Uint8Array | string) => k.startsWith("raw/") ? Promise.reject(full) : store.put(k, b),
  };
  const asked: string[] = [];
  const companyFacts = (cik: string) => (asked.push(cik), sec.companyFacts(cik));
  await assert.rejects(ingestFundamentals({ store: filling, engine, companyFacts, symbols }), (e) => e === full);
  assert.equal(asked.length, 1);
});

Deno.test("fundamentals killed with SIGKILL mid-run: the rerun parses the replies it stored instead of fetching them, and nothing duplicates", async () => {
  await using lab = await replayLake();
  const { root, store, engine } = lab;
  const symbols = await oneSymbolPerCompany(store, engine, 40);
  const facts = () => storedReplies(store, "sec", "companyfacts");
  await killMainWhen(
    ["fundamentals", "--symbols", symbols.join(",")],
    { TICKLAKE_LAKE: root, TICKLAKE_SEC_URL: lab.url, TICKLAKE_SEC_DATA_URL: lab.url },
    async () => (await facts()).length >= 3,
  );
  const before = await facts();
  assert.ok(before.length >= 3 && before.length < symbols.length, `${before.length} replies stored before the kill`);
  assert.deepEqual(
    await store.list("curated/fundamentals/"),
    [],
    "no partition, whole or torn, before the merges end",
  );
  assert.deepEqual(await store.list("state/runs/"), [], "the killed run recorded nothing");

  const metas = await Promise.all(
    before.map(async (k) => JSON.parse(new TextDecoder().decode((await store.get(`${k}.meta.json`))!))),
  );
  const fetchedBefore = new Map(metas.map((m, i) => [m.request.cik as string, before[i]]));
  const { sec } = lab;
  // Meanwhile another run fetches one of those companies again, and SEC has restated a value.
  const revised = { cik: metas[0].request.cik as string, symbol: metas[0].request.symbol as string };
  let fact = { concept: "", accn: "", end: "", val: 0 };
  const restated = async (cik: string) => {
    const reply = await sec.companyFacts(cik);
    if (cik !== revised.cik) return reply;
    const json = JSON.parse(new TextDecoder().decode(reply.body));
    const [concept, { units }] = Object.entries(json.facts["us-gaap"])[0] as [
      string,
      { units: Record<string, { accn: string; end: string; val: number }[]> },
    ][][0];
    const first = Object.values(units)[0][0];
    first.val += 1;
    fact = { concept, accn: first.accn, end: first.end, val: first.val };
    return { ...reply, body: new TextEncoder().encode(JSON.stringify(json)) };
  };
  await ingestFundamentals({ store, engine, companyFacts: restated, symbols: [revised.symbol] });
  const requests: string[] = [];
  const rerun = await ingestFundamentals({
    store,
    engine,
    companyFacts: (cik) => (requests.push(cik), restated(cik)),
    symbols,
  });
  assert.deepEqual([rerun.resumed, rerun.symbols_ok, rerun.symbols_reparsed], [
    true,
    symbols.length,
    before.length - 1,
  ]);
  assert.equal(requests.length, symbols.length - before.length + 1);
  assert.deepEqual(
    requests.filter((cik) => fetchedBefore.has(cik)),
    [revised.cik],
    "no company stored before the kill is fetched again, but for the one fetched anew since",
  );
  assert.deepEqual(await store.list("state/checkpoints/"), [], "the completed run closed its checkpoint");

  const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
  try {
    const [counts] = await lake.sql<{ n: number; keys: number; companies: number }>(
      `SELECT count(*)::INT AS n, count(DISTINCT (cik, taxonomy, concept, unit, period_end, period_start, accession))::INT AS keys,
         count(DISTINCT cik)::INT AS companies FROM fundamentals`,
    );
    assert.deepEqual(counts, { n: counts.keys, keys: counts.keys, companies: symbols.length });
    const refs = await lake.sql<{ cik: string; raw_ref: string }>("SELECT DISTINCT cik, raw_ref FROM fundamentals");
    for (const { cik, raw_ref } of refs) {
      if (fetchedBefore.has(cik) && cik !== revised.cik) {
        assert.equal(raw_ref, fetchedBefore.get(cik), "its rows point at the reply stored before the kill");
      }
    }
    // The killed run's older reply did not undo the restatement.
    const [held] = await lake.sql<{ value: number }>(
      `SELECT value FROM fundamentals WHERE cik = $1 AND concept = $2 AND accession = $3 AND period_end = $4::DATE`,
      [revised.cik, fact.concept, fact.accn, fact.end],
    );
    assert.equal(held.value, fact.val);
  } finally {
    lake.close();
  }
  const again = await ingestFundamentals({ store, engine, companyFacts: restated, symbols });
  assert.deepEqual(
    [again.resumed, again.rows_inserted, again.rows_updated],
    [false, 0, 0],
    "a finished run is not resumed",
  );
});
