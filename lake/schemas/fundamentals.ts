/**
 * The curated `fundamentals` table: SEC XBRL company facts as long rows, one per value a filing
 * reported (a concept, in a unit, for a period, in one filing). Partitioned by the year the filing
 * was filed, so a new filing lands in the current year's partition; sorted by symbol, then fact.
 * @module
 */
import type { TableSpec } from "./columns.ts";

export const FUNDAMENTALS: TableSpec = [
  { name: "symbol", type: "varchar" },
  { name: "cik", type: "varchar" },
  { name: "taxonomy", type: "varchar" },
  { name: "concept", type: "varchar" },
  { name: "unit", type: "varchar" },
  /** Null for instant facts (a balance on `period_end`). */
  { name: "period_start", type: "date", nullable: true },
  { name: "period_end", type: "date" },
  { name: "value", type: "double" },
  { name: "fiscal_year", type: "bigint", nullable: true },
  { name: "fiscal_period", type: "varchar", nullable: true },
  { name: "form", type: "varchar" },
  { name: "filed", type: "date" },
  /** SEC's calendar frame (`CY2023Q4I`) on the one value it picked for that period, else null. */
  { name: "frame", type: "varchar", nullable: true },
  { name: "accession", type: "varchar" },
  { name: "source", type: "varchar" },
  { name: "ingested_at", type: "timestamp" },
  { name: "raw_ref", type: "varchar", statistics: false },
];

/** The columns that identify a fact: one value per filing, concept, unit and period. */
export const FACT_KEY = ["taxonomy", "concept", "unit", "period_end", "period_start", "accession"] as const;
