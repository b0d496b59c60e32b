import assert from "node:assert/strict";
import { symbolRow } from "../../tests/support/symbol_rows.ts";
import { resolveUniverse } from "./universe.ts";

const row = symbolRow;

const MASTER = [
  row("OLDCO", { status: "delisted", ipo_date: "1999-03-01", delisting_date: "2012-08-15", last_seen: "2012-08-15" }),
  row("NEWCO", { ipo_date: "2020-06-01" }),
  row("NODATE", {}),
  row("DROPPED", { status: "delisted", last_seen: "2026-03-02" }),
  row("FUND", { asset_type: "etf", ipo_date: "2005-01-03" }),
  row("WARR", { asset_type: "warrant" }),
];
const master = () => Promise.resolve(MASTER);
const today = new Date("2026-12-01T12:00:00Z");

Deno.test("resolveUniverse(listed): the master's stocks and ETFs listed now, or on a past day", async () => {
  assert.deepEqual(await resolveUniverse("listed", { master, today }), ["NEWCO", "NODATE", "FUND"]);
  assert.deepEqual(
    await resolveUniverse("listed:2012-08-14", { master, today }),
    ["OLDCO", "NODATE", "DROPPED", "FUND"],
    "the day before OLDCO's delisting; an unknown IPO date bounds nothing",
  );
  assert.deepEqual(await resolveUniverse("listed:2012-08-15", { master, today }), ["NODATE", "DROPPED", "FUND"]);
  assert.deepEqual(await resolveUniverse("listed:2026-03-02", { master, today }), [
    "NEWCO",
    "NODATE",
    "DROPPED",
    "FUND",
  ]);
  assert.deepEqual(await resolveUniverse("listed:2026-03-03", { master, today }), ["NEWCO", "NODATE", "FUND"]);
  assert.deepEqual(await resolveUniverse("listed:2004-12-31", { master, today }), ["OLDCO", "NODATE", "DROPPED"]);
});

Deno.test("resolveUniverse(listed) refuses an empty master, a bad day and a future one", async () => {
  const none = () => Promise.resolve([]);
  await assert.rejects(resolveUniverse("listed", { master: none, today }), /symbol master is empty.*deno task symbols/);
  await assert.rejects(resolveUniverse("listed", { today }), /symbol master is empty/);
  await assert.rejects(resolveUniverse("listed:2026-02-30", { master, today }), /no such calendar day/);
  await assert.rejects(resolveUniverse("listed:yesterday", { master, today }), /expected YYYY-MM-DD/);
  await assert.rejects(resolveUniverse("listed:2026-12-02", { master, today }), /in the future/);
  await assert.rejects(resolveUniverse("listing", { master, today }), /expected demo, sp500, listed/);
});
