/**
 * Simulated SEC company facts for the replay server, for any CIK without a recording: quarterly
 * 10-Qs and annual 10-Ks from 2015 on, filed some weeks after each period ends and never after
 * `now`, with revenue, net income, basic EPS, assets and shares outstanding. Deterministic per CIK,
 * shaped as SEC's companyfacts JSON, and marked `ticklake.simulated` so no row passes for real.
 * @module
 */
import { unit } from "./market_sim.ts";

interface Fact {
  start?: string;
  end: string;
  val: number;
  accn: string;
  fy: number;
  fp: string;
  form: string;
  filed: string;
  frame: string;
}

/** Each concept's unit, taxonomy, label and reported values. */
type Concepts = Record<string, { unit: string; taxonomy: string; label: string; rows: Fact[] }>;

const FIRST_YEAR = 2015;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function simulatedCompanyFacts(cik: number, entityName: string, now: Date) {
  const r = (i: number, j = 0) => unit(cik, i, j);
  const facts: Concepts = {
    Revenues: { unit: "USD", taxonomy: "us-gaap", label: "Revenues", rows: [] },
    NetIncomeLoss: { unit: "USD", taxonomy: "us-gaap", label: "Net Income (Loss)", rows: [] },
    EarningsPerShareBasic: { unit: "USD/shares", taxonomy: "us-gaap", label: "Earnings Per Share, Basic", rows: [] },
    Assets: { unit: "USD", taxonomy: "us-gaap", label: "Assets", rows: [] },
    EntityCommonStockSharesOutstanding: {
      unit: "shares",
      taxonomy: "dei",
      label: "Entity Common Stock, Shares Outstanding",
      rows: [],
    },
  };
  const shares = Math.round(2e7 + 2e9 * r(1));
  const margin = 0.04 + 0.2 * r(2);
  let revenue = 5e7 + 5e9 * r(3); // a quarter's, in USD
  let filing = 0;
  for (let year = FIRST_YEAR; year <= now.getUTCFullYear(); year++) {
    let annual = 0, annualIncome = 0;
    for (let q = 1; q <= 4; q++) {
      revenue *= 1 + 0.03 * (r(10 + year, q) - 0.35);
      const income = revenue * margin * (0.6 + 0.8 * r(20 + year, q));
      annual += revenue, annualIncome += income;
      const start = iso(Date.UTC(year, 3 * (q - 1), 1)), end = iso(Date.UTC(year, 3 * q, 0));
      const tenK = q === 4;
      const filedMs = Date.UTC(year, 3 * q, 0) + (tenK ? 60 : 40) * 86_400_000;
      if (filedMs > now.getTime()) return shape(cik, entityName, facts);
      const base = {
        accn: `${String(cik).padStart(10, "0")}-${String(year + (tenK ? 1 : 0)).slice(2)}-${
          String(++filing).padStart(6, "0")
        }`,
        fy: year,
        fp: tenK ? "FY" : `Q${q}`,
        form: tenK ? "10-K" : "10-Q",
        filed: iso(filedMs),
      };
      // A 10-K reports the year; a 10-Q its quarter.
      const [from, sales, earned, frame] = tenK
        ? [iso(Date.UTC(year, 0, 1)), annual, annualIncome, `CY${year}`]
        : [start, revenue, income, `CY${year}Q${q}`];
      facts.Revenues.rows.push({ ...base, start: from, end, val: Math.round(sales), frame });
      facts.NetIncomeLoss.rows.push({ ...base, start: from, end, val: Math.round(earned), frame });
      facts.EarningsPerShareBasic.rows.push({
        ...base,
        start: from,
        end,
        val: Math.round((earned / shares) * 100) / 100,
        frame,
      });
      facts.Assets.rows.push({
        ...base,
        end,
        val: Math.round(revenue * (6 + 2 * r(30 + year, q))),
        frame: `CY${year}Q${q}I`,
      });
      facts.EntityCommonStockSharesOutstanding.rows.push({ ...base, end, val: shares, frame: `CY${year}Q${q}I` });
    }
  }
  return shape(cik, entityName, facts);
}

function shape(cik: number, entityName: string, facts: Concepts) {
  const byTaxonomy: Record<string, Record<string, unknown>> = {};
  for (const [concept, { unit, taxonomy, label, rows }] of Object.entries(facts)) {
    (byTaxonomy[taxonomy] ??= {})[concept] = { label, description: label, units: { [unit]: rows } };
  }
  return { cik, entityName, facts: byTaxonomy, ticklake: { simulated: true } };
}
