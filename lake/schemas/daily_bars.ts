/**
 * The curated `daily_bars` table: one row per symbol and exchange trading date, prices as
 * traded (unadjusted), `adj_close` adjusted for splits and dividends, lineage in `raw_ref`.
 * @module
 */
import { z } from "zod";
import type { TableSpec } from "./columns.ts";

/** Prices keep four decimals: sub-dollar US stocks trade in $0.0001 increments. */
export const PRICE = "decimal(18,4)" as const;

export const DAILY_BARS: TableSpec = [
  { name: "symbol", type: "varchar" },
  { name: "date", type: "date" },
  { name: "open", type: PRICE },
  { name: "high", type: PRICE },
  { name: "low", type: PRICE },
  { name: "close", type: PRICE },
  { name: "adj_close", type: PRICE },
  { name: "volume", type: "bigint" },
  { name: "dividend", type: "decimal(18,6)" },
  { name: "split_ratio", type: "double" },
  { name: "source", type: "varchar" },
  { name: "ingested_at", type: "timestamp" },
  { name: "raw_ref", type: "varchar", statistics: false },
];

const price = z.number().finite().positive();

/** One curated daily bar, as validated before a lake write. */
export const DailyBarSchema = z.object({
  symbol: z.string().regex(/^[A-Z0-9]+(?:[.-][A-Z0-9]+)*$/).max(16),
  date: z.iso.date(),
  open: price,
  high: price,
  low: price,
  close: price,
  adj_close: price,
  volume: z.number().int().nonnegative(),
  dividend: z.number().finite().nonnegative(),
  split_ratio: z.number().finite().positive(),
  source: z.string().min(1),
  ingested_at: z.iso.datetime(),
  raw_ref: z.string().min(1),
}).refine((b) => b.low <= Math.min(b.open, b.close) && b.high >= Math.max(b.open, b.close), {
  message: "low <= open, close <= high must hold",
});
export type DailyBar = z.infer<typeof DailyBarSchema>;
