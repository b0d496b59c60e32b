// deno-lint-ignore-file no-explicit-any
import assert from "node:assert/strict";
import { type Batch, daysToIso, emptyBatch, isoToDays, num, str } from "../../lake/schemas/columns.ts";
import { DAILY_BARS, DailyBarSchema } from "../../lake/schemas/daily_bars.ts";
import { checkDailyBars, mergeDailyBars, splitByYear } from "./curate_daily_bars.ts";

interface Row {
  symbol: string;
  date: string;
  close: number;
  open?: number;
  high?: number;
  low?: number;
  volume?: number;
  at?: number;
  ref?: string;
}

function bars(rows: Row[]): Batch {
  const b = emptyBatch(DAILY_BARS, rows.length);
  const c = b.columns as Record<string, any>;
  rows.forEach((r, i) => {
    c.symbol[i] = r.symbol;
    c.date[i] = isoToDays(r.date);
    c.open[i] = r.open ?? r.close;
    c.high[i] = r.high ?? r.close + 1;
    c.low[i] = r.low ?? r.close - 1;
    c.close[i] = r.close;
    c.adj_close[i] = r.close;
    c.volume[i] = r.volume ?? 100;
    c.dividend[i] = 0;
    c.split_ratio[i] = 1;
    c.source[i] = "yahoo";
    c.ingested_at[i] = r.at ?? 1;
    c.raw_ref[i] = r.ref ?? "raw/a";
  });
  return b;
}

Deno.test("mergeDailyBars() sorts by symbol then date and inserts new keys", () => {
  const m = mergeDailyBars(
    bars([]),
    bars([{ symbol: "MSFT", date: "2024-01-03", close: 3 }, { symbol: "AAPL", date: "2024-01-03", close: 2 }, {
      symbol: "AAPL",
      date: "2024-01-02",
      close: 1,
    }]),
  );
  assert.equal(m.inserted, 3);
  assert.deepEqual(str(m.batch, "symbol"), ["AAPL", "AAPL", "MSFT"]);
  assert.deepEqual(Array.from(num(m.batch, "close")), [1, 2, 3]);
});

Deno.test("mergeDailyBars() keeps the existing row when a rerun brings identical values", () => {
  const first = mergeDailyBars(
    bars([]),
    bars([{ symbol: "AAPL", date: "2024-01-02", close: 1, at: 1, ref: "raw/old" }]),
  );
  const again = mergeDailyBars(
    first.batch,
    bars([{ symbol: "AAPL", date: "2024-01-02", close: 1, at: 2, ref: "raw/new" }]),
  );
  assert.deepEqual([again.inserted, again.updated, again.unchanged], [0, 0, 1]);
  assert.equal(again.batch.length, 1);
  assert.deepEqual(str(again.batch, "raw_ref"), ["raw/old"]);
  assert.deepEqual(Array.from(num(again.batch, "ingested_at")), [1]);
});

Deno.test("mergeDailyBars() lets a revised bar replace the old one (newest wins)", () => {
  const first = mergeDailyBars(bars([]), bars([{ symbol: "AAPL", date: "2024-01-02", close: 1, ref: "raw/old" }]));
  const revised = mergeDailyBars(
    first.batch,
    bars([{ symbol: "AAPL", date: "2024-01-02", close: 1.5, ref: "raw/new" }]),
  );
  assert.deepEqual([revised.inserted, revised.updated], [0, 1]);
  assert.deepEqual(Array.from(num(revised.batch, "close")), [1.5]);
  assert.deepEqual(str(revised.batch, "raw_ref"), ["raw/new"]);
});

Deno.test("mergeDailyBars() keeps the last of duplicate incoming rows for one key", () => {
  const m = mergeDailyBars(
    bars([]),
    bars([{ symbol: "AAPL", date: "2024-01-02", close: 1 }, { symbol: "AAPL", date: "2024-01-02", close: 2 }]),
  );
  assert.equal(m.batch.length, 1);
  assert.deepEqual(Array.from(num(m.batch, "close")), [2]);
});

Deno.test("splitByYear() groups rows by calendar year in order", () => {
  const parts = splitByYear(bars([
    { symbol: "A", date: "2024-01-02", close: 1 },
    { symbol: "A", date: "2023-12-29", close: 1 },
    { symbol: "B", date: "2024-06-03", close: 1 },
  ]));
  assert.deepEqual([...parts.keys()], [2023, 2024]);
  assert.equal(parts.get(2024)!.length, 2);
});

Deno.test("checkDailyBars() rejects exactly the rows DailyBarSchema rejects, each for its rule", () => {
  // One good row, then one row per rule, each breaking it alone: [column overrides, the reason given].
  const cases: [Record<string, unknown>, RegExp | undefined][] = [
    [{}, undefined],
    [{ high: 9 }, /low <= open/],
    [{ low: 11 }, /low <= open/],
    [{ close: -1, low: -2 }, /non-positive/],
    [{ adj_close: 0 }, /non-positive/],
    [{ high: NaN }, /non-positive or missing/],
    [{ volume: 1.5 }, /volume/],
    [{ volume: -1 }, /volume/],
    [{ dividend: -0.01 }, /dividend/],
    [{ split_ratio: 0 }, /split_ratio/],
    [{ date: NaN }, /date missing/],
    [{ symbol: "" }, /required/],
    [{ source: "" }, /required/],
    [{ raw_ref: "" }, /required/],
  ];
  const b = bars(cases.map((_, i) => ({ symbol: "A", date: `2024-01-${String(i + 2).padStart(2, "0")}`, close: 10 })));
  const c = b.columns as Record<string, any>;
  cases.forEach(([set], i) => Object.entries(set).forEach(([col, v]) => c[col][i] = v));
  const { good, rejected } = checkDailyBars(b);
  const zodGood = cases.flatMap((_, i) => {
    const row = Object.fromEntries(DAILY_BARS.map(({ name }) => [name, c[name][i]]));
    const date = Number.isFinite(row.date) ? daysToIso(row.date) : "";
    return DailyBarSchema.safeParse({ ...row, date, ingested_at: "2026-11-24T00:00:00Z" }).success ? [i] : [];
  });
  assert.deepEqual(Array.from(good), zodGood);
  assert.deepEqual(Array.from(good), [0]);
  assert.equal(rejected.length, cases.length - 1);
  rejected.forEach((r, k) => assert.match(r.reason, cases[k + 1][1]!, JSON.stringify(cases[k + 1][0])));
});

Deno.test("mergeDailyBars() passes an ordered batch into an empty partition through unchanged, and sorts otherwise", () => {
  const ordered = bars([{ symbol: "A", date: "2024-01-02", close: 1 }, { symbol: "A", date: "2024-01-03", close: 2 }, {
    symbol: "B",
    date: "2024-01-02",
    close: 3,
  }]);
  const fast = mergeDailyBars(bars([]), ordered);
  assert.equal(fast.batch, ordered);
  assert.equal(fast.inserted, 3);
  const shuffled = bars([{ symbol: "B", date: "2024-01-02", close: 3 }, { symbol: "A", date: "2024-01-03", close: 2 }, {
    symbol: "A",
    date: "2024-01-03",
    close: 2.5,
  }]);
  const slow = mergeDailyBars(bars([]), shuffled);
  assert.deepEqual(str(slow.batch, "symbol"), ["A", "B"]);
  assert.deepEqual(Array.from(num(slow.batch, "close")), [2.5, 3]);
});
