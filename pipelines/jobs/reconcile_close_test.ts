import assert from "node:assert/strict";
import { loadConfig } from "../../config.ts";
import { runReconcileClose, weeklyTurn } from "./reconcile_close.ts";

Deno.test("weeklyTurn() brings every symbol round equally, five a week, and takes a short list whole", () => {
  const all = Array.from({ length: 12 }, (_, i) => `S${String(i).padStart(2, "0")}`);
  const seen = new Map<string, number>();
  const monday = Date.UTC(2027, 0, 4);
  for (let week = 0; week < 12; week++) {
    const turn = weeklyTurn(all, 5, new Date(monday + week * 7 * 86_400_000));
    assert.equal(new Set(turn).size, 5);
    for (const s of turn) seen.set(s, (seen.get(s) ?? 0) + 1);
  }
  assert.deepEqual([...seen.values()], new Array(12).fill(5));
  assert.deepEqual(weeklyTurn(["B", "A"], 5, new Date()), ["B", "A"]);
});

Deno.test("runReconcileClose() without an Alpha Vantage key does nothing and says why", async () => {
  const logged: string[] = [];
  const config = loadConfig({ TICKLAKE_LAKE: await Deno.makeTempDir() });
  const result = await runReconcileClose(config, {
    log: { info() {}, error() {}, warn: (event, fields) => void logged.push(`${event} ${JSON.stringify(fields)}`) },
  });
  assert.deepEqual(result, { skipped: "no ALPHAVANTAGE_API_KEY" });
  assert.match(logged.join("\n"), /reconcile\.skipped.*ALPHAVANTAGE_API_KEY/);
});
