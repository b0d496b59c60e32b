/** The command line over a demo lake: query exports in every format, runs, and --help. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { expectedFailure, main } from "../main.ts";
import { LockLostError } from "../lake/store.ts";
import { DEMO_SYMBOLS, makeDemoLake } from "./support/demo_lake.ts";
import { type DailyBarsQuery, openLake, SqlError } from "../lake/query.ts";
import { createLocalStore } from "../lake/store_local.ts";
import { startReplayServer } from "../pipelines/replay/server.ts";
import { minutesOnDays } from "./support/simulated_minutes.ts";
import { simulatedCompanyFacts } from "../pipelines/replay/facts_sim.ts";
import { capture } from "./support/capture.ts";
import { runMain } from "./support/run_main.ts";

Deno.test("main(query) exports the same rows as CSV, JSON and Parquet", async () => {
  const { root } = await makeDemoLake();
  const dir = await Deno.makeTempDir();
  const args = ["query", "--symbols", "AAPL,MSFT", "--from", "2024-01-02", "--to", "2024-03-28", "--lake", root];
  for (const f of ["csv", "json", "parquet"]) {
    assert.equal(await main([...args, "--format", f, "--out", join(dir, `out.${f}`)]), 0, f);
  }
  const csv = (await Deno.readTextFile(join(dir, "out.csv"))).trim().split("\n");
  const json = JSON.parse(await Deno.readTextFile(join(dir, "out.json")));
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  const pq = (await c.runAndReadAll(
    `SELECT count(*)::INT AS n, count(DISTINCT symbol)::INT AS s FROM '${join(dir, "out.parquet")}'`,
  )).getRowObjectsJS()[0];
  c.closeSync();
  // Q1 2024 had 61 NYSE sessions (Good Friday 2024-03-29 is outside the range).
  assert.equal(csv.length - 1, 2 * 61);
  assert.equal(json.length, 2 * 61);
  assert.deepEqual(pq, { n: 2 * 61, s: 2 });
  assert.match(csv[0], /^symbol,date,open,high,low,close,adj_close,volume/);
  assert.ok(csv.slice(1).every((line) => /^\d+$/.test(line.split(",")[7])), `volume as an integer: ${csv[1]}`);

  const adjusted = await capture(() => main([...args, "--adjusted", "--format", "json"]));
  const rows = JSON.parse(adjusted.out);
  assert.ok(rows.every((r: { close: number; adj_close: number }) => r.close === r.adj_close));

  const bad = await capture(() => main(["query", "--symbols", "AAPL", "--format", "xml", "--lake", root]));
  assert.equal(bad.code, 2);
  const sql = await capture(() =>
    main(["query", "--sql", "SELECT count(DISTINCT symbol) AS n FROM daily_bars", "--format", "json", "--lake", root])
  );
  assert.deepEqual(JSON.parse(sql.out), [{ n: 5 }]);
  // A closing semicolon, with comments after it or semicolons inside strings and comments.
  for (const text of ["SELECT 5 AS n; -- done", "SELECT 5 AS n /* ; */ ;\n/* end */", "SELECT 5 AS n -- x; y"]) {
    const ended = await capture(() => main(["query", "--sql", text, "--format", "json", "--lake", root]));
    assert.deepEqual([ended.code, JSON.parse(ended.out || "null")], [0, [{ n: 5 }]], `${text}: ${ended.err}`);
  }
  const quoted = await capture(() => main(["query", "--sql", "SELECT ';' AS s;", "--format", "csv", "--lake", root]));
  assert.deepEqual([quoted.code, quoted.out.trim()], [0, "s\n;"], quoted.err);
});

Deno.test("main(query --fundamentals) exports a company's facts as they were known on a day", async () => {
  const { root, store } = await makeDemoLake();
  const args = ["query", "--fundamentals", "--symbols", "AAPL", "--concepts", "Revenues", "--lake", root];
  const known = await capture(() => main([...args, "--as-of", "2024-09-30", "--format", "json"]));
  assert.equal(known.code, 0);
  const rows: { concept: string; form: string; period_end: string; filed: string; value: number; source: string }[] =
    JSON.parse(known.out);
  assert.ok(rows.length > 30, `${rows.length} revenue facts`);
  assert.ok(rows.every((r) => r.concept === "Revenues" && r.filed <= "2024-09-30" && r.source === "simulated"));
  // The oracle: the replay's simulated filings.
  const filed = (simulatedCompanyFacts(320193, "", new Date()).facts["us-gaap"] as Record<
    string,
    { units: Record<string, { end: string; val: number; form: string; filed: string }[]> }
  >).Revenues.units.USD.filter((f) => f.filed <= "2024-09-30");
  assert.equal(rows.length, filed.length);
  const fy2023 = rows.find((r) => r.form === "10-K" && r.period_end === "2023-12-31")!;
  assert.equal(fy2023.value, filed.find((f) => f.form === "10-K" && f.end === "2023-12-31")!.val);
  // Without --as-of, the later filings are there too; the API returns the same rows.
  const all = JSON.parse((await capture(() => main([...args, "--format", "json"]))).out);
  assert.ok(all.length > rows.length);
  const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
  const api = await lake.getFundamentals({ symbols: ["aapl"], concepts: ["Revenues"], asOf: "2024-09-30" });
  lake.close();
  assert.deepEqual(api.map((r) => [r.period_end, r.filed, r.value]), rows.map((r) => [r.period_end, r.filed, r.value]));
  const badDay = await capture(() => main([...args, "--as-of", "2024-02-30"]));
  const both = await capture(() => main([...args, "--minute"]));
  assert.deepEqual([badDay.code, both.code], [2, 2]);
  assert.match(`${badDay.err}\n${both.err}`, /as-of date '2024-02-30': no such calendar day[^]*choose one/);
});

Deno.test("main(query) with no matching rows prints no data, says so on stderr, and succeeds", async () => {
  const { root } = await makeDemoLake();
  const args = ["query", "--symbols", "ZZZZ", "--from", "2024-01-02", "--lake", root];
  const csv = await capture(() => main(args));
  assert.deepEqual(csv, { code: 0, out: `${DAILY_HEADER}\n`, err: "0 rows\ndaily_bars holds no rows for ZZZZ" });
  const json = await capture(() => main([...args, "--format", "json"]));
  assert.deepEqual({ ...json, out: JSON.parse(json.out) }, {
    code: 0,
    out: [],
    err: "0 rows\ndaily_bars holds no rows for ZZZZ",
  });
  const minutes = await capture(() => main([...args, "--minute"]));
  assert.deepEqual([minutes.code, minutes.out.split("\n").length, minutes.err], [
    0,
    2,
    "0 rows\nminute_bars holds no rows for ZZZZ",
  ]);
  // A typo among symbols the lake holds (msft is MSFT) is named; rows outside the range are not a typo.
  const mixed = await capture(() =>
    main(["query", "--symbols", `ZZZZ,${DEMO_SYMBOLS[0]},msft`, "--from", "2030-01-01", "--lake", root])
  );
  assert.deepEqual([mixed.code, mixed.err], [0, "0 rows\ndaily_bars holds no rows for 1 of 3 symbols: ZZZZ"]);
  const held = await capture(() => main(["query", "--symbols", DEMO_SYMBOLS.join(","), "--lake", root]));
  assert.deepEqual([held.code, held.err], [0, ""]);
});

Deno.test("main(query) piped into a reader that stops early (| head) ends quietly", async () => {
  const { root } = await makeDemoLake();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../main.ts", import.meta.url).pathname, "query", "--symbols", DEMO_SYMBOLS.join(",")],
    env: { TICKLAKE_LAKE: root },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  await reader.cancel(); // the pipe closes with ~750 KB still to print
  const [{ code }, said] = await Promise.all([child.status, new Response(child.stderr).text()]);
  assert.ok(first.startsWith(DAILY_HEADER), first.slice(0, 80));
  assert.deepEqual([code, said], [0, ""]);
});

const DAILY_HEADER = "symbol,date,open,high,low,close,adj_close,volume,dividend,split_ratio,source,raw_ref";

Deno.test("main(query) prints what --out writes, streamed: each daily bar once, in order", async () => {
  const { root } = await makeDemoLake();
  const args = ["query", "--symbols", DEMO_SYMBOLS.join(","), "--adjusted", "--lake", root];
  const file = join(await Deno.makeTempDir(), "bars.csv");
  assert.equal(await main([...args, "--out", file]), 0);
  const printed = await capture(() => main(args));
  assert.equal(printed.out, await Deno.readTextFile(file));
  const lines = printed.out.trimEnd().split("\n");
  assert.equal(lines[0], DAILY_HEADER);
  const lake = await openLake({ store: createLocalStore(root), cacheDir: await Deno.makeTempDir() });
  const bars = await lake.getDailyBars({ symbols: DEMO_SYMBOLS, adjusted: true });
  lake.close();
  assert.deepEqual(
    lines.slice(1).map((l) => l.split(",").slice(0, 2).join(" ")),
    bars.map((b) => `${b.symbol} ${b.date}`),
  );
  assert.deepEqual(lines.slice(1).map((l) => Number(l.split(",")[5])), bars.map((b) => b.close));
});

Deno.test("--universe listed:<day> reads the lake's symbol master; an empty master is a clear error", async () => {
  const { root } = await makeDemoLake();
  const day = "2015-06-30";
  // The oracle: SQL over the master as the docs define "listed on a day".
  const sql = `SELECT count(*)::INT AS n FROM symbols WHERE asset_type IN ('stock', 'etf')
    AND (ipo_date IS NULL OR ipo_date <= '${day}') AND (delisting_date IS NULL OR delisting_date > '${day}')
    AND (status = 'active' OR delisting_date IS NOT NULL OR last_seen >= '${day}')`;
  const [{ n }] = JSON.parse(
    (await capture(() => main(["query", "--sql", sql, "--format", "json", "--lake", root]))).out,
  );
  const plan = await capture(() => main(["backfill", "--universe", `listed:${day}`, "--dry-run", "--lake", root]));
  assert.equal(plan.code, 0, plan.err);
  assert.ok(n > 1000, `${n} symbols listed on ${day}`);
  assert.match(plan.out, new RegExp(`^backfill ${n} symbols from`));
  const lake = await openLake({ store: createLocalStore(root), cacheDir: await Deno.makeTempDir() });
  try {
    const listed = await lake.getSymbols({ asOf: day, assetTypes: ["stock", "etf"] });
    assert.equal(listed.length, n);
    assert.ok(listed.every((r) => r.ipo_date === null || r.ipo_date <= day), "no security before its IPO");
    assert.equal((await lake.getSymbols()).length, (await lake.sql("SELECT * FROM symbols")).length);
    await assert.rejects(lake.getSymbols({ asOf: "2015-02-30" }), /no such calendar day/);
  } finally {
    lake.close();
  }
  const now = await capture(() => main(["backfill", "--universe", "listed", "--dry-run", "--lake", root]));
  assert.ok(Number(/^backfill (\d+)/.exec(now.out)?.[1]) > n, "more symbols are listed now than in 2015");
  // An impossible start is refused before any plan is printed.
  for (const [from, said] of [["2999-01-01", /it is in the future/], ["2015-02-30", /no such calendar day/]] as const) {
    const refused = await capture(() =>
      main(["backfill", "--universe", "listed", "--from", from, "--dry-run", "--lake", root])
    );
    assert.deepEqual([refused.code, refused.out], [2, ""]);
    assert.match(refused.err, said);
  }

  // Bars of the symbols listed on a day: the demo's simulated S0001 is in no listing.
  const bars = await capture(() =>
    main([
      "query",
      "--universe",
      "listed:2024-06-03",
      "--from",
      "2024-06-03",
      "--to",
      "2024-06-03",
      "--format",
      "json",
      "--lake",
      root,
    ])
  );
  assert.deepEqual(JSON.parse(bars.out).map((b: { symbol: string }) => b.symbol), ["AAPL", "MSFT", "NVDA", "TSLA"]);
  // Flags that a query would ignore are refused, not dropped: an ignored --as-of would read as point-in-time.
  for (
    const [args, said] of [
      [
        ["--sql", "SELECT 1", "--symbols", "AAPL", "--from", "2024-01-01"],
        "--sql names its own tables and filters; leave out --symbols, --from",
      ],
      [["--sql", "SELECT 1", "--adjusted"], "--sql names its own tables and filters; leave out --adjusted"],
      [["--symbols", "AAPL", "--as-of", "2024-01-01"], "Cannot use --as-of without --fundamentals"],
      [
        ["--symbols", "AAPL", "--concepts", "Revenues", "--as-of", "2024-01-01"],
        "Cannot use --concepts and --as-of without --fundamentals",
      ],
    ] as [string[], string][]
  ) {
    const refused = await capture(() => main(["query", ...args, "--lake", root]));
    assert.deepEqual([refused.code, refused.out], [2, ""], args.join(" "));
    assert.ok(refused.err.startsWith("error: ") && refused.err.includes(said), refused.err);
  }

  const bare = await Deno.makeTempDir();
  const empty = await capture(() => main(["ingest", "--universe", "listed", "--lake", bare]));
  assert.equal(empty.code, 2);
  assert.match(empty.err, /symbol master is empty/);
  const none = await capture(() => main(["query", "--sql", sql, "--format", "json", "--lake", bare]));
  assert.deepEqual(JSON.parse(none.out), [{ n: 0 }], "an empty lake's symbols view has the master's columns");
});

Deno.test("main(runs) lists the demo's run and every command answers --help", async () => {
  const { root } = await makeDemoLake();
  const runs = await capture(() => main(["runs", "--lake", root]));
  assert.match(runs.out, /ingest_daily ok: 5\/5 ok/);
  // Every deno task that runs a main.ts command, read from deno.json so that a new one is not missed.
  const tasks = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url))).tasks as Record<
    string,
    { command: string }
  >;
  const commands = Object.values(tasks).flatMap((t) => /main\.ts (\S+)/.exec(t.command)?.[1] ?? []);
  assert.ok(commands.includes("reconcile") && commands.length >= 15, commands.join(" "));
  for (const cmd of commands) {
    const help = await capture(() => main([cmd, "--help"]));
    assert.equal(help.code, 0, cmd);
    assert.match(help.out, /usage: deno task /, cmd);
  }
  const providers = await capture(() => main(["providers", "--json", "--lake", root]));
  const p = JSON.parse(providers.out);
  assert.ok(p.providers.some((x: { provider: string; calls: number }) => x.provider === "yahoo" && x.calls === 5));
});

Deno.test("getDailyBarsArrow() returns the same bars as getDailyBars() as an Arrow table", async () => {
  const { store } = await makeDemoLake();
  const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
  try {
    const q = { symbols: ["MSFT", "NVDA"], start: "2024-06-03", end: "2024-06-14" };
    const rows = await lake.getDailyBars(q);
    const table = await lake.getDailyBarsArrow(q);
    assert.equal(table.numRows, rows.length);
    assert.equal(table.numRows, 20);
    for (const name of Object.keys(rows[0]) as (keyof typeof rows[0])[]) {
      assert.deepEqual(Array.from(table.getChild(name)!), rows.map((r) => r[name]), name);
    }
    for (const name of ["symbol", "date", "source", "raw_ref"]) {
      assert.equal(String(table.schema.fields.find((f) => f.name === name)!.type), "Dictionary<Int32, Utf8>", name);
    }
  } finally {
    lake.close();
  }
});

Deno.test("getDailyBars() rows equal its own export SQL, as traded and adjusted (NVDA's 10:1 split on 2024-06-10)", async () => {
  const { store } = await makeDemoLake();
  const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
  try {
    for (const adjusted of [false, true]) {
      // Lower-case and repeated input symbols are canonicalised; rows come back sorted by symbol.
      const q = { symbols: ["nvda", "MSFT", "NVDA"], start: "2024-06-03", end: "2024-06-14", adjusted };
      const rows = await lake.getDailyBars(q);
      const { text, params } = lake.dailyBarsSql(q);
      assert.deepEqual(rows, await lake.sql(text, params), `adjusted=${adjusted}`);
      assert.deepEqual([...new Set(rows.map((r) => r.symbol))], ["MSFT", "NVDA"]);
      const nvda = Object.fromEntries(rows.filter((r) => r.symbol === "NVDA").map((r) => [r.date, r]));
      const ratio = nvda["2024-06-07"].close / nvda["2024-06-10"].close;
      if (adjusted) assert.ok(ratio > 0.9 && ratio < 1.1, `adjusted closes are continuous: ${ratio}`);
      else assert.ok(ratio > 9 && ratio < 11, `as traded, the split shows: ${ratio}`);
      // Every symbol's whole history: DuckDB hands the rows over in chunks of 2,048, and the
      // lineage strings, sent only where they change, must carry across a chunk's edge.
      const all = { symbols: DEMO_SYMBOLS, adjusted };
      const many = await lake.getDailyBars(all);
      assert.ok(many.length > 2 * 2048, `${many.length} rows, in three chunks or more`);
      const exported = lake.dailyBarsSql(all);
      assert.deepEqual(many, await lake.sql(exported.text, exported.params));
    }
  } finally {
    lake.close();
  }
});

/** The query API over a lake with nothing in it. */
async function emptyLake() {
  return await openLake({ store: createLocalStore(await Deno.makeTempDir()), cacheDir: await Deno.makeTempDir() });
}

Deno.test("getDailyBarsArrow() on an empty lake returns an empty table with the columns", async () => {
  const lake = await emptyLake();
  try {
    const table = await lake.getDailyBarsArrow({ symbols: ["AAPL"] });
    assert.equal(table.numRows, 0);
    assert.ok(table.schema.fields.some((f) => f.name === "close"));
  } finally {
    lake.close();
  }
});

Deno.test("getDailyBars() refuses an impossible date, a reversed range, no symbols and a hostile symbol", async () => {
  const lake = await emptyLake();
  try {
    const refused: [DailyBarsQuery, RegExp][] = [
      [{ symbols: ["AAPL"], start: "2023-02-30" }, /start '2023-02-30': no such calendar day/],
      [{ symbols: ["AAPL"], end: "2023-13-01" }, /end '2023-13-01'/],
      [{ symbols: ["AAPL"], start: "2024-01-01", end: "2023-01-01" }, /start is after end/],
      [{ symbols: [] }, /no symbols given/],
      [{ symbols: ["../x"] }, /looks like a path/],
    ];
    for (const [q, message] of refused) {
      await assert.rejects(() => lake.getDailyBars(q), message);
      await assert.rejects(() => lake.getDailyBarsArrow(q), message);
    }
  } finally {
    lake.close();
  }
});

Deno.test("sql() returns plain values: numbers for BIGINT and DECIMAL, ISO text for DATE and TIMESTAMP (midnight too)", async () => {
  const lake = await emptyLake();
  try {
    const rows = await lake.sql(
      `SELECT * FROM (VALUES
        (1::BIGINT, 1.25::DECIMAL(18,4), DATE '2024-01-02', TIMESTAMP '2024-01-02 03:04:05', 'é', [1, 2]),
        (NULL, NULL, DATE '2024-01-02', TIMESTAMP '2024-01-03 00:00:00', NULL, NULL)
      ) t(n, p, d, ts, s, l) WHERE n IS DISTINCT FROM ?`,
      [7],
    );
    assert.deepEqual(rows, [
      { n: 1, p: 1.25, d: "2024-01-02", ts: "2024-01-02T03:04:05", s: "é", l: [1, 2] },
      { n: null, p: null, d: "2024-01-02", ts: "2024-01-03T00:00:00", s: null, l: null },
    ]);
  } finally {
    lake.close();
  }
});

Deno.test("sql() runs one read-only statement and refuses the rest before they run", async () => {
  const { root } = await makeDemoLake();
  const dir = await Deno.makeTempDir();
  const lake = await openLake({ store: createLocalStore(root), cacheDir: join(dir, "cache") });
  const count = async () => (await lake.sql<{ n: number }>("SELECT count(*)::INT AS n FROM daily_bars"))[0].n;
  try {
    const bars = await count();
    assert.ok(bars > 0);
    for (const read of ["WITH x AS (SELECT 1 AS a) SELECT a FROM x", "DESCRIBE daily_bars", "SUMMARIZE symbols"]) {
      assert.ok((await lake.sql(read)).length > 0, read);
    }
    const written = join(dir, "leak.csv");
    for (
      const [statement, why] of [
        [`COPY daily_bars TO '${written}'`, /only reads are allowed .*, not COPY$/],
        ["DROP VIEW daily_bars", /not DROP$/],
        ["SET threads = 1", /not SET$/],
        [`ATTACH '${join(dir, "x.db")}'`, /only reads are allowed/],
        ["SELEC 1", /Parser Error: syntax error at or near "SELEC"/],
        ["SELECT nope FROM daily_bars", /Binder Error/],
        [`SELECT 1; COPY daily_bars TO '${written}'`, /holds 2 statements, and one is allowed/],
        [" ", /it is empty/],
      ] as const
    ) {
      await assert.rejects(lake.sql(statement), (e: Error) => e instanceof SqlError && why.test(e.message));
      await assert.rejects(lake.exportQuery(statement, [], "csv", join(dir, "out.csv")), SqlError);
    }
    assert.equal(await count(), bars, "the view is still there");
    assert.deepEqual([...Deno.readDirSync(dir)].filter((e) => e.name !== "cache"), [], "no file was written");
  } finally {
    lake.close();
  }
});

Deno.test("main(query --out) writes through a temp file: a failed or refused query leaves the previous file whole, and no temp file behind", async () => {
  const { root } = await makeDemoLake();
  const dir = await Deno.makeTempDir();
  const out = join(dir, "bars.csv");
  await Deno.writeTextFile(out, "the previous export\n");
  const failing = ["query", "--sql", "SELECT error('boom') FROM daily_bars", "--format", "csv", "--out", out];
  const { code, err } = await capture(() => main([...failing, "--lake", root]));
  assert.equal(code, 2);
  assert.match(err, /^error: Cannot run this SQL: Invalid Input Error: boom/m);
  assert.equal(await Deno.readTextFile(out), "the previous export\n");
  assert.equal(await main(["query", "--sql", "COPY daily_bars TO 'x.csv'", "--out", out, "--lake", root]), 2);
  const ok = ["query", "--sql", "SELECT DISTINCT symbol FROM daily_bars ORDER BY symbol LIMIT 2", "--format", "csv"];
  assert.equal(await main([...ok, "--out", out, "--lake", root]), 0);
  assert.deepEqual((await Deno.readTextFile(out)).trim().split("\n"), ["symbol", "AAPL", "MSFT"]);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["bars.csv"], "no temp file is left");
});

Deno.test("main(ingest-minute) without Alpaca keys takes the bars from Yahoo and says why", async () => {
  // On the real clock, as the CLI runs: Yahoo keeps 1m bars for 30 days back from today.
  const replay = await startReplayServer({ port: 0, hostname: "127.0.0.1" });
  const day = (back: number) => new Date(Date.now() - back * 86_400_000).toISOString().slice(0, 10);
  // The latest past day with minutes (weekends and holidays have none), so the export checks rows.
  let back = 1;
  while (minutesOnDays("MSFT", day(back), day(back), new Date()) === 0) back++;
  const [from, to] = [day(back + 7), day(back)];
  const root = await Deno.makeTempDir();
  let said = "";
  try {
    // Alpaca's URL stays the real one: without keys it must not be asked at all.
    const { code, out, err } = await runMain(
      ["ingest-minute", "--symbols", "MSFT", "--from", from, "--to", to, "--lake", root],
      { TICKLAKE_YAHOO_URL: replay.url },
      { unset: ["APCA_API_KEY_ID", "APCA_API_SECRET_KEY", "TICKLAKE_ALPACA_DATA_URL"] },
    );
    said = err;
    assert.equal(code, 0, out);
    assert.match(out, /served by yahoo [12]$/m);
    const file = join(root, "minutes.json");
    const args = ["query", "--symbols", "MSFT", "--from", to, "--to", to, "--minute"];
    assert.equal(await main([...args, "--format", "json", "--out", file, "--lake", root]), 0);
    const exported: { ts: string; session: string; trades: number | null }[] = JSON.parse(
      await Deno.readTextFile(file),
    );
    assert.equal(exported.length, minutesOnDays("MSFT", to, to, new Date()));
    assert.ok(exported.every((b) => b.ts.startsWith(to) || b.ts.startsWith(day(back - 1))), "only that New York day");
    assert.ok(exported.every((b) => b.trades === null), "Yahoo gives no trade counts");
  } finally {
    await replay.close();
  }
  assert.match(said, /minute\.yahoo_only.*APCA_API_KEY_ID and APCA_API_SECRET_KEY/);
  const lake = await openLake({ store: createLocalStore(root), cacheDir: await Deno.makeTempDir() });
  const rows = await lake.sql<{ source: string; n: number; refs: string }>(
    `SELECT source, count(*)::INT AS n, min(raw_ref) AS refs FROM minute_bars GROUP BY source`,
  );
  lake.close();
  assert.equal(rows.length, 1);
  assert.deepEqual([rows[0].source, rows[0].n], [
    "simulated",
    minutesOnDays("MSFT", from, to, new Date()),
  ]);
  assert.match(rows[0].refs, /^raw\/yahoo\/chart_1m\//);
});

Deno.test("flags refuse text, negatives, fractions, no workers and an --out with no directory, naming the flag", async () => {
  const root = await Deno.makeTempDir();
  for (
    const [args, message] of [
      [["runs", "--limit", "ten"], /--limit 'ten': expected a whole number/],
      [["audit", "--move=-1"], /--move '-1': expected a number, 0 or more/],
      [["rebuild", "--workers", "1.5"], /--workers '1\.5': expected a whole number/],
      [["ingest", "--symbols", "AAPL", "--concurrency", ""], /--concurrency '': expected a whole number/],
      // No worker at all would fetch nothing and call the run done.
      [["ingest", "--symbols", "AAPL", "--concurrency", "0"], /--concurrency '0': expected a whole number, 1 or more/],
      [
        ["query", "--symbols", "AAPL", "--out", "/no/such/dir/x.csv"],
        /Cannot write \/no\/such\/dir\/x\.csv: there is no directory/,
      ],
      [["indicators", "--lock-wait", "soon"], /--lock-wait 'soon': expected a number, 0 or more/],
    ] as const
  ) {
    const r = await capture(() => main([...args, "--lake", root]));
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.err, message);
  }
});

Deno.test("main() ends a failure the user can act on with one line and its exit code, and a defect with its stack", async () => {
  const root = await Deno.makeTempDir();
  const busy = Deno.listen({ port: 0, hostname: "0.0.0.0" });
  try {
    const served = await capture(() => main(["serve", "--port", String(busy.addr.port), "--lake", root]));
    assert.equal(served.code, 1);
    assert.match(served.err, /^error: .*set PORT \(or --port\) to a free port$/);
  } finally {
    busy.close();
  }
  const lost = expectedFailure(new LockLostError("Cannot write curated/daily_bars/year=2024/data.parquet: lost"));
  assert.deepEqual(lost?.code, 1);
  assert.match(lost!.message, /lost; run the same command again once the table's current holder is done$/);
  assert.deepEqual(expectedFailure(new RangeError("bad range")), { message: "bad range", code: 2 });
  assert.equal(expectedFailure(new Error("a defect")), undefined);
});

Deno.test("deno task symbols that cannot reach the directory keeps the last good master, says why, and exits 1", async () => {
  const closed = Deno.listen({ port: 0, hostname: "127.0.0.1" });
  const nowhere = `http://127.0.0.1:${(closed.addr as Deno.NetAddr).port}`;
  closed.close();
  const r = await runMain(["symbols", "--lake", await Deno.makeTempDir()], { TICKLAKE_NASDAQTRADER_URL: nowhere });
  assert.equal(r.code, 1);
  assert.match(r.out, /0 active .*\(kept the last good master: .*nasdaqlisted\.txt/);
});
