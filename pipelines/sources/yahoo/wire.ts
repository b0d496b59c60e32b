/**
 * zod schemas of the Yahoo chart API reply (/v8/finance/chart/{symbol}), lenient where Yahoo is:
 * null bars, missing `timestamp`, `quote: [{}]`, events keyed by a different timestamp than
 * their `date`, split ratios as ints or floats. Unknown keys pass through.
 * @module
 */
import { z } from "zod";

/**
 * An array of finite numbers or nulls. One custom check per array instead of one zod schema per
 * element: a 17-year reply has ~25,000 of them and element-wise parsing was 3x JSON.parse's cost.
 */
const nums = z.custom<(number | null)[]>((v) => {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x !== null && (typeof x !== "number" || !Number.isFinite(x))) return false;
  }
  return true;
}, { message: "expected an array of numbers or nulls" });

const QuoteSchema = z.looseObject({
  open: nums.optional(),
  high: nums.optional(),
  low: nums.optional(),
  close: nums.optional(),
  volume: nums.optional(),
});

const DividendSchema = z.looseObject({ amount: z.number(), date: z.number() });
const SplitSchema = z.looseObject({
  date: z.number(),
  numerator: z.number().positive(),
  denominator: z.number().positive(),
  splitRatio: z.string().optional(),
});

export const YahooMetaSchema = z.looseObject({
  symbol: z.string(),
  currency: z.string().nullable().optional(),
  exchangeTimezoneName: z.string().optional(),
  gmtoffset: z.number().optional(),
  dataGranularity: z.string().optional(),
  /**
   * Added only by Ticklake's offline replay server: the reply mixes real recorded bars (those
   * stamped within [realFrom, realTo]) with simulated ones (all others).
   */
  ticklake: z.object({ realFrom: z.number().nullable(), realTo: z.number().nullable() }).optional(),
});

export const YahooResultSchema = z.looseObject({
  meta: YahooMetaSchema,
  timestamp: z.custom<number[]>((v) => Array.isArray(v) && v.every((x) => Number.isInteger(x)), {
    message: "expected an array of integer timestamps",
  }).optional(),
  events: z.looseObject({
    dividends: z.record(z.string(), DividendSchema).optional(),
    splits: z.record(z.string(), SplitSchema).optional(),
  }).optional(),
  indicators: z.looseObject({
    quote: z.array(QuoteSchema),
    adjclose: z.array(z.looseObject({ adjclose: nums.optional() })).optional(),
  }),
});

export const YahooChartSchema = z.object({
  chart: z.object({
    result: z.array(YahooResultSchema).nullable(),
    error: z.looseObject({ code: z.string(), description: z.string().nullable().optional() }).nullable().optional(),
  }),
});

export type YahooChart = z.infer<typeof YahooChartSchema>;
export type YahooResult = z.infer<typeof YahooResultSchema>;
