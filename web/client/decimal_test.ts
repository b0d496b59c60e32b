import assert from "node:assert/strict";
import { decimalNumber } from "./decimal.ts";

/** A 128-bit two's-complement integer as Arrow stores a decimal: four little-endian words. */
function words(n: bigint): Uint32Array {
  const u = BigInt.asUintN(128, n);
  return Uint32Array.from({ length: 4 }, (_, i) => Number((u >> BigInt(32 * i)) & 0xffff_ffffn));
}

Deno.test("decimalNumber() reads Arrow's 128-bit words exactly below 2^53, negatives included", () => {
  const edges = [0n, 1n, -1n, 4939200n, -4939200n, 2n ** 32n, -(2n ** 32n), 2n ** 53n - 1n, -(2n ** 53n - 1n)];
  let seed = 7;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const randoms = Array.from({ length: 1000 }, () => BigInt(Math.floor((random() - 0.5) * 2 ** 53)));
  for (const n of [...edges, ...randoms]) assert.equal(decimalNumber(words(n)), Number(n), String(n));
});
