/** indicators_daily, computed by the demo pipeline, checked against SQL over the curated bars. */
import assert from "node:assert/strict";
import { openLake } from "../lake/query.ts";
import { makeDemoLake } from "./support/demo_lake.ts";

Deno.test("indicators_daily has a row per bar, SMA(20) agrees with SQL over the adjusted closes, RSI stays in [0, 100]", async () => {
  const { store } = await makeDemoLake();
  const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
  try {
    const [{ bars, ind }] = await lake.sql<{ bars: number; ind: number }>(
      "SELECT (SELECT count(*) FROM daily_bars)::INT AS bars, (SELECT count(*) FROM indicators_daily)::INT AS ind",
    );
    assert.ok(bars > 1000);
    assert.equal(ind, bars);
    // SMA(20) recomputed in SQL from the bars (over each symbol's whole history, then compared).
    const [worst] = await lake.sql<{ d: number; n: number }>(`
      WITH s AS (
        SELECT symbol, date, avg(adj_close::DOUBLE) OVER w AS sma, count(*) OVER w AS k
        FROM daily_bars WINDOW w AS (PARTITION BY symbol ORDER BY date ROWS 19 PRECEDING))
      SELECT max(abs(s.sma - i.sma_20)) AS d, count(*)::INT AS n
      FROM s JOIN indicators_daily i USING (symbol, date) WHERE s.k = 20`);
    assert.ok(worst.n > 1000);
    assert.ok(worst.d < 1e-9, `max SMA difference ${worst.d}`);
    const [warm] = await lake.sql<{ nulls: number; bad: number }>(`
      SELECT count(*) FILTER (sma_50 IS NULL)::INT AS nulls,
             count(*) FILTER (rsi_14 < 0 OR rsi_14 > 100)::INT AS bad FROM indicators_daily`);
    assert.equal(warm.nulls, 5 * 49, "the first 49 days of each of the 5 symbols have no SMA(50)");
    assert.equal(warm.bad, 0);
  } finally {
    lake.close();
  }
});
