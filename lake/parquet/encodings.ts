/**
 * Parquet's value encodings that the writer needs: bit packing, the RLE/bit-packed hybrid
 * (definition levels, dictionary indices) and DELTA_BINARY_PACKED (integers, dates, decimals).
 * @module
 */
import type { ByteWriter } from "./bytes.ts";

const TWO_32 = 4294967296;

/** Bits needed for a non-negative integer up to 2^53. */
export function bitWidth(v: number): number {
  return v < TWO_32 ? 32 - Math.clz32(v) : 64 - Math.clz32(Math.floor(v / TWO_32));
}

/**
 * Append `count` values (a multiple of 8), `width` bits each, least significant bit first. Values
 * are `src[from + i] - bias`; positions at or past `to` are padding and written as 0.
 */
export function packBits(
  out: ByteWriter,
  src: ArrayLike<number>,
  from: number,
  to: number,
  count: number,
  width: number,
  bias = 0,
) {
  if (width === 0) return;
  const buf = out.reserve((count * width) >> 3);
  let p = out.length, acc = 0, bits = 0;
  for (let i = 0; i < count; i++) {
    let v = from + i < to ? src[from + i] - bias : 0;
    if (width <= 24) {
      // acc holds under 8 pending bits, so the sum stays within 31 bits.
      acc |= v << bits;
      bits += width;
      while (bits >= 8) buf[p++] = acc & 255, acc >>>= 8, bits -= 8;
      continue;
    }
    for (let left = width; left > 0;) {
      const take = left < 16 ? left : 16;
      const chunk = v % 65536;
      v = (v - chunk) / 65536;
      acc |= chunk << bits;
      bits += take;
      left -= take;
      while (bits >= 8) buf[p++] = acc & 255, acc >>>= 8, bits -= 8;
    }
  }
  out.length = p;
}

/**
 * The RLE/bit-packed hybrid of `n` values below 2^width. Runs of 8 or more equal values become RLE
 * runs; everything else goes out in bit-packed groups of 8.
 */
export function rleHybrid(out: ByteWriter, values: ArrayLike<number>, n: number, width: number) {
  const valueBytes = (width + 7) >> 3;
  let literalStart = 0, literalGroups = 0;
  const flush = () => {
    if (literalGroups === 0) return;
    out.uvarint((literalGroups << 1) | 1);
    packBits(out, values, literalStart, n, literalGroups * 8, width);
    literalGroups = 0;
  };
  for (let i = 0; i < n;) {
    const v = values[i];
    let j = i + 1;
    while (j < n && values[j] === v) j++;
    if (j - i >= 8) {
      flush();
      out.uvarint((j - i) * 2);
      for (let b = 0, x = v; b < valueBytes; b++, x >>>= 8) out.byte(x & 255);
      i = j;
    } else {
      if (literalGroups === 0) literalStart = i;
      literalGroups++;
      i += 8;
    }
  }
  flush();
}

const BLOCK = 128, MINIBLOCKS = 4, MINIBLOCK = BLOCK / MINIBLOCKS;

/** DELTA_BINARY_PACKED of integer values (exact JS numbers). */
export function deltaBinaryPacked(out: ByteWriter, values: ArrayLike<number>) {
  const n = values.length;
  out.uvarint(BLOCK);
  out.uvarint(MINIBLOCKS);
  out.uvarint(n);
  out.zigzag(n ? values[0] : 0);
  const deltas = new Float64Array(BLOCK);
  const widths = new Uint8Array(MINIBLOCKS);
  for (let start = 1; start < n; start += BLOCK) {
    const m = Math.min(BLOCK, n - start);
    let min = Infinity;
    for (let i = 0; i < m; i++) {
      const d = values[start + i] - values[start + i - 1];
      deltas[i] = d;
      if (d < min) min = d;
    }
    for (let k = 0; k < MINIBLOCKS; k++) {
      let max = 0;
      const end = Math.min(m, (k + 1) * MINIBLOCK);
      for (let i = k * MINIBLOCK; i < end; i++) if (deltas[i] - min > max) max = deltas[i] - min;
      if (max > Number.MAX_SAFE_INTEGER) {
        throw new RangeError("Cannot delta-encode: values span more than 2^53, beyond exact integers");
      }
      widths[k] = bitWidth(max);
    }
    out.zigzag(min);
    for (let k = 0; k < MINIBLOCKS; k++) out.byte(widths[k]);
    // Miniblocks past the last value are left out; the last one in use is padded to 32 values.
    for (let k = 0; k * MINIBLOCK < m; k++) packBits(out, deltas, k * MINIBLOCK, m, MINIBLOCK, widths[k], min);
  }
}
