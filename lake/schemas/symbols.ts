/**
 * The symbol master, `reference/symbols`: one row per canonical symbol ever listed. A symbol
 * that leaves the directory is marked delisted, never deleted.
 * @module
 */
import { z } from "zod";
import type { TableSpec } from "./columns.ts";

export const SYMBOLS: TableSpec = [
  { name: "symbol", type: "varchar" },
  { name: "name", type: "varchar" },
  { name: "exchange", type: "varchar" },
  { name: "asset_type", type: "varchar" },
  { name: "status", type: "varchar" },
  { name: "first_seen", type: "date" },
  { name: "last_seen", type: "date" },
  { name: "cik", type: "varchar", nullable: true },
  { name: "ipo_date", type: "date", nullable: true },
  { name: "delisting_date", type: "date", nullable: true },
  { name: "yahoo_symbol", type: "varchar" },
  { name: "nasdaq_symbol", type: "varchar", nullable: true },
  { name: "cqs_symbol", type: "varchar", nullable: true },
  { name: "raw_ref", type: "varchar" },
];

export const SymbolRowSchema = z.object({
  symbol: z.string().regex(/^[A-Z0-9]{1,10}(?:\.[A-Z0-9]{1,4}){0,2}$/),
  name: z.string(),
  exchange: z.string().min(1),
  asset_type: z.enum(["stock", "etf", "preferred", "warrant", "right", "unit", "other"]),
  status: z.enum(["active", "delisted"]),
  first_seen: z.iso.date(),
  last_seen: z.iso.date(),
  cik: z.string().regex(/^\d{10}$/).nullable(),
  ipo_date: z.iso.date().nullable(),
  delisting_date: z.iso.date().nullable(),
  yahoo_symbol: z.string().min(1),
  nasdaq_symbol: z.string().nullable(),
  cqs_symbol: z.string().nullable(),
  raw_ref: z.string().min(1),
});
export type SymbolRow = z.infer<typeof SymbolRowSchema>;
