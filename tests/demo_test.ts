/**
 * The README's main job as a user runs it: `main.ts demo` builds the lake offline, prints what it
 * ingested, and serves the dashboard; run again, it lands no row twice.
 */
import assert from "node:assert/strict";
import { DuckDBInstance } from "@duckdb/node-api";

/** A port nothing listens on now. */
function freePort(): number {
  const l = Deno.listen({ port: 0, hostname: "127.0.0.1" });
  const { port } = l.addr as Deno.NetAddr;
  l.close();
  return port;
}

/** Run the demo until it serves, and return what it printed; the server is stopped after `check`. */
async function runDemo(lake: string, check: (base: string) => Promise<void>): Promise<string> {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../main.ts", import.meta.url).pathname, "demo", "--lake", lake],
    env: { PORT: String(port) },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let printed = "";
  try {
    for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) {
      printed += text;
      if (printed.includes("dashboard: http://")) break;
    }
    assert.match(printed, new RegExp(`dashboard: http://localhost:${port}/`), printed);
    await check(`http://127.0.0.1:${port}`);
  } finally {
    child.kill("SIGTERM");
    await child.status;
  }
  return printed;
}

/** A number the demo printed after `label`. */
const figure = (printed: string, label: RegExp) => Number(label.exec(printed)?.[1]);

Deno.test("deno task demo ingests offline, prints its summary, serves the dashboard, and a rerun duplicates nothing", async () => {
  const lake = await Deno.makeTempDir();
  const first = await runDemo(lake, async (base) => {
    assert.deepEqual(await (await fetch(`${base}/health`)).json(), { ok: true, lake: "local" });
    const page = await (await fetch(`${base}/`)).text();
    assert.match(page, /<main id="app">/);
    const bundle = await fetch(`${base}/app.js`);
    assert.ok(bundle.ok && (await bundle.text()).length > 100_000, "the dashboard's bundle builds");
    const catalog = await (await fetch(`${base}/api/catalog`)).json();
    const daily = catalog.tables.find((t: { name: string }) => t.name === "daily_bars");
    assert.ok(daily.files.length > 5, "a partition per year");
  });
  const rows = figure(first, /curated daily_bars: (\d+) rows/);
  assert.ok(rows > 10_000, first);
  assert.equal(figure(first, /daily bars: .* (\d+) inserted/), rows);
  assert.match(first, /audit \(deno task audit\): 0 errors/);

  // Run again, the demo may find what the market added since (its replay serves up to now: a
  // session's newer minutes, a day that has closed), but no row twice.
  const again = await runDemo(lake, () => Promise.resolve());
  assert.ok(figure(again, /curated daily_bars: (\d+) rows/) >= rows, again);
  assert.equal(figure(again, /fundamentals .* (\d+) inserted/), 0);
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  try {
    for (
      const [table, key] of [
        ["daily_bars/year", "symbol, date"],
        ["minute_bars/month", "symbol, ts"],
        ["fundamentals/filed_year", "cik, taxonomy, concept, unit, period_end, period_start, accession"],
      ]
    ) {
      const counts = await conn.runAndReadAll(
        `SELECT count(*)::INT AS n, count(DISTINCT (${key}))::INT AS keys
         FROM read_parquet('${lake}/curated/${table}=*/data.parquet')`,
      );
      const [n, keys] = counts.getRows()[0] as number[];
      assert.ok(n > 0, table);
      assert.equal(n, keys, `${table}: no row twice`);
    }
  } finally {
    conn.closeSync();
  }
});
