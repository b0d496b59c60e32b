/**
 * Yahoo's prices as the lake stores them. Yahoo sends float32 values widened to double, seven
 * significant digits: above about $1,000 a float32 step exceeds half of the lake's $0.0001, so
 * rounding the float to four decimals keeps digits that never traded (1234.57 arrives as
 * 1234.5699462890625, which rounds to 1234.5699).
 * @module
 */
import { roundPrice } from "../../../lake/schemas/columns.ts";

/**
 * The price a Yahoo float `v` stands for, times `factor` (the splits Yahoo divided it by). Whole
 * cents when the float is one a whole-cent price would have become (US stocks over $1 quote in
 * cents), within about a float32 step since Yahoo's own split arithmetic is unknown; otherwise four
 * decimals (a sub-dollar stock's $0.0001 ticks). Above $131,072 a float32 cannot tell neighbouring
 * cents apart, and the nearest is taken.
 */
export function yahooPrice(v: number, factor = 1): number {
  const price = v * factor;
  const cents = Math.round(price * 100) / 100;
  // (A float32 step is 2^-23 to 2^-24 of the value.)
  if (Math.abs(Math.fround(cents / factor) - v) <= Math.abs(v) * 2 ** -23) return cents;
  return roundPrice(price);
}
