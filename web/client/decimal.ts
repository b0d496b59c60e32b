/**
 * Arrow decimals as numbers, for the page's query results.
 * @module
 */

/**
 * An Arrow decimal's unscaled value from its four little-endian 32-bit words (two's complement).
 * Exact below 2^53, as every lake decimal is; Arrow's own conversion of these words is wrong, and
 * going through their text took longer than the query.
 */
export function decimalNumber(words: Uint32Array): number {
  const negative = (words[3] & 0x8000_0000) !== 0;
  let magnitude = 0, carry = negative ? 1 : 0;
  for (let i = 0; i < 4; i++) {
    let w = negative ? (~words[i] >>> 0) + carry : words[i];
    carry = w > 0xffff_ffff ? 1 : 0;
    w >>>= 0;
    magnitude += w * 2 ** (32 * i);
  }
  return negative ? -magnitude : magnitude;
}
