import assert from "node:assert/strict";
import { parseCompanyFacts } from "../sources/sec/edgar.ts";
import { simulatedCompanyFacts } from "./facts_sim.ts";

const NOW = new Date("2025-07-22T12:00:00Z");

function parsed(json: unknown) {
  return parseCompanyFacts({
    provider: "sec",
    url: "x",
    status: 200,
    contentType: "application/json",
    body: new TextEncoder().encode(JSON.stringify(json)),
    fetchedAt: NOW,
    requestId: "r",
    latencyMs: 0,
  });
}

Deno.test("simulatedCompanyFacts() parses as SEC's shape, is marked simulated, repeats, and files nothing after now", () => {
  const facts = simulatedCompanyFacts(320193, "Apple Inc.", NOW);
  assert.deepEqual(facts, simulatedCompanyFacts(320193, "Apple Inc.", NOW));
  const { rows, simulated, entityName, skipped } = parsed(facts);
  assert.deepEqual([simulated, entityName, skipped, rows[0].cik], [true, "Apple Inc.", 0, "0000320193"]);
  assert.ok(rows.every((r) => r.filed <= "2025-07-22"), "no filing after now");
  // 2025 Q1 is filed (May), Q2 is not yet (August).
  const revenue = rows.filter((r) => r.concept === "Revenues");
  assert.deepEqual(revenue.filter((r) => r.fy === 2025).map((r) => r.fp), ["Q1"]);
  // A 10-K's revenue is its year's four quarters (to rounding), and EPS is income over shares.
  const year = (fy: number, fp: string, concept = "Revenues") =>
    rows.find((r) => r.concept === concept && r.fy === fy && r.fp === fp)!.val;
  const quarters = year(2024, "Q1") + year(2024, "Q2") + year(2024, "Q3");
  const fourth = year(2024, "FY") - quarters;
  assert.ok(fourth > 0 && Math.abs(fourth / year(2024, "Q3") - 1) < 0.1, `Q4 revenue ${fourth}`);
  const shares = year(2024, "FY", "EntityCommonStockSharesOutstanding");
  assert.equal(
    year(2024, "FY", "EarningsPerShareBasic"),
    Math.round((year(2024, "FY", "NetIncomeLoss") / shares) * 100) / 100,
  );
});
