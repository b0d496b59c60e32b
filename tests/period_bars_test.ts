/** Weekly and monthly bars from daily bars, against an oracle grouped here from the daily rows. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { main } from "../main.ts";
import { type DailyBarRow, openLake } from "../lake/query.ts";
import { createLocalStore } from "../lake/store_local.ts";
import { capture } from "./support/capture.ts";
import { DEMO_SYMBOLS, makeDemoLake } from "./support/demo_lake.ts";

const DAY_MS = 86_400_000;
/** The Monday of a date's ISO week, or its month. */
const periodOf = (date: string, interval: "week" | "month") => {
  if (interval === "month") return date.slice(0, 7);
  const day = Date.parse(`${date}T00:00:00Z`) / DAY_MS;
  return day - ((day + 3) % 7); // 1970-01-01 was a Thursday
};

function oracle(daily: DailyBarRow[], interval: "week" | "month"): DailyBarRow[] {
  const groups = new Map<string, DailyBarRow[]>();
  for (const b of daily) {
    const key = `${b.symbol} ${periodOf(b.date, interval)}`;
    (groups.get(key) ?? groups.set(key, []).get(key)!).push(b);
  }
  return [...groups.values()].map((days) => {
    const last = days.at(-1)!;
    return {
      symbol: last.symbol,
      date: last.date,
      open: days[0].open,
      high: Math.max(...days.map((d) => d.high)),
      low: Math.min(...days.map((d) => d.low)),
      close: last.close,
      adj_close: last.adj_close,
      volume: days.reduce((n, d) => n + d.volume, 0),
      dividend: days.reduce((n, d) => n + d.dividend, 0),
      split_ratio: days.reduce((n, d) => n * d.split_ratio, 1),
      source: [...new Set(days.map((d) => d.source))].sort().join(","),
      raw_ref: [...new Set(days.map((d) => d.raw_ref))].sort().join(" "),
      days: days.length,
    };
  });
}

/** Equal, with sums and products of decimals compared to 1e-9. */
function assertBars(actual: DailyBarRow[], expected: DailyBarRow[], what: string) {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((a, i) => {
    const e = expected[i];
    for (const k of ["dividend", "split_ratio"] as const) {
      assert.ok(Math.abs(a[k] - e[k]) < 1e-9, `${what} ${a.symbol} ${a.date} ${k}: ${a[k]} vs ${e[k]}`);
    }
    assert.deepEqual({ ...a, dividend: 0, split_ratio: 0 }, { ...e, dividend: 0, split_ratio: 0 }, what);
  });
}

Deno.test("getDailyBars({ interval }) groups daily bars into ISO weeks and calendar months, as traded and adjusted", async () => {
  const { root } = await makeDemoLake();
  const lake = await openLake({ store: createLocalStore(root), cacheDir: await Deno.makeTempDir() });
  try {
    // Mid-week edges: the first and last weeks hold only their days in range.
    const range = { symbols: DEMO_SYMBOLS, start: "2021-01-06", end: "2024-12-18" };
    for (const adjusted of [false, true]) {
      const daily = await lake.getDailyBars({ ...range, adjusted });
      for (const interval of ["week", "month"] as const) {
        const bars = await lake.getDailyBars({ ...range, adjusted, interval });
        assertBars(bars, oracle(daily, interval), `${interval} adjusted=${adjusted}`);
        // The events the oracle must get right are there: splits and dividends inside periods.
        assert.ok(bars.some((b) => b.split_ratio !== 1) && bars.some((b) => b.dividend > 0), interval);
        const arrowTable = await lake.getDailyBarsArrow({ ...range, adjusted, interval });
        assert.deepEqual(arrowTable.getChild("close")!.toArray(), Float64Array.from(bars, (b) => b.close));
        assert.deepEqual(arrowTable.getChild("raw_ref")!.toArray(), bars.map((b) => b.raw_ref));
      }
    }
    const weeks = await lake.getDailyBars({
      symbols: ["AAPL"],
      start: "2021-01-06",
      end: "2024-12-18",
      interval: "week",
    });
    assert.deepEqual(weeks.slice(0, 2).map((w) => [w.date, w.days]), [["2021-01-08", 3], ["2021-01-15", 5]]);
    // Thanksgiving 2024 (Thursday 28 November) leaves its week four sessions.
    assert.equal(weeks.find((w) => w.date === "2024-11-29")?.days, 4);
    assert.deepEqual(weeks.at(-1)!.date, "2024-12-18");
    await assert.rejects(
      lake.getDailyBars({ symbols: ["AAPL"], interval: "year" as "week" }),
      /Cannot make bars of 'year' from daily bars/,
    );
  } finally {
    lake.close();
  }
});

Deno.test("main(query --interval month) exports what getDailyBars({ interval: 'month' }) returns", async () => {
  const { root } = await makeDemoLake();
  const out = join(await Deno.makeTempDir(), "months.json");
  const args = ["query", "--symbols", "NVDA", "--from", "2024-01-01", "--interval", "month", "--adjusted"];
  assert.equal(await main([...args, "--format", "json", "--out", out, "--lake", root]), 0);
  const lake = await openLake({ store: createLocalStore(root), cacheDir: await Deno.makeTempDir() });
  const api = await lake.getDailyBars({ symbols: ["NVDA"], start: "2024-01-01", interval: "month", adjusted: true });
  lake.close();
  assert.equal(api.length, 12);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(out)), api);
  const refused = await capture(() =>
    main(["query", "--symbols", "NVDA", "--indicators", "--interval", "week", "--lake", root])
  );
  assert.deepEqual([refused.code, refused.err], [
    2,
    "error: Cannot use --interval here: it makes minute bars or daily bars longer",
  ]);
});
