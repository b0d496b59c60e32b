/** The lake read as plain Parquet, by a reader that knows nothing of Ticklake: the docs' example, as written. */
import assert from "node:assert/strict";
import { DuckDBInstance } from "@duckdb/node-api";
import { openLake } from "../lake/query.ts";
import { makeDemoLake } from "./support/demo_lake.ts";

/** The first SQL block of a section of docs/lake.md. */
async function documentedSql(section: string): Promise<string> {
  const doc = await Deno.readTextFile(new URL("../docs/lake.md", import.meta.url));
  const body = doc.split(`## ${section}\n`)[1]?.split("\n## ")[0] ?? "";
  const sql = /```sql\n([\s\S]*?)```/.exec(body)?.[1];
  assert.ok(sql, `docs/lake.md has no SQL under "${section}"`);
  return sql;
}

Deno.test("DuckDB alone reads the daily bars the query API serves", async () => {
  const { root, store } = await makeDemoLake();
  const sql = await documentedSql("Reading the lake without Ticklake");
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  // The docs' lake is `./data`; this one is `root`.
  const plain = (await conn.runAndReadAll(sql.replaceAll("'data/", `'${root}/`))).getRowObjectsJson();
  const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
  try {
    const served = await lake.getDailyBars({ symbols: ["AAPL"], start: "2024-01-02", end: "2024-12-31" });
    assert.equal(plain.length, 252, "the NYSE sessions of 2024");
    assert.deepEqual(
      plain.map((r) => [r.date, Number(r.close), Number(r.adj_close), Number(r.volume)]),
      served.map((r) => [r.date, r.close, r.adj_close, r.volume]),
    );
  } finally {
    lake.close();
    conn.closeSync();
  }
});
