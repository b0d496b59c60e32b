/**
 * A growable byte buffer with the integer forms Parquet and Thrift's compact protocol use.
 * Integers are JS numbers and must be exact (|v| <= 2^53).
 * @module
 */

const TWO_32 = 4294967296;

export class ByteWriter {
  #buf: Uint8Array;
  #view: DataView;
  length = 0;

  constructor(capacity = 1024) {
    this.#buf = new Uint8Array(capacity);
    this.#view = new DataView(this.#buf.buffer);
  }

  /** Room for `n` more bytes; returns the backing array (valid until the next call). */
  reserve(n: number): Uint8Array {
    if (this.length + n > this.#buf.length) {
      const next = new Uint8Array(Math.max(this.#buf.length * 2, this.length + n));
      next.set(this.#buf.subarray(0, this.length));
      this.#buf = next;
      this.#view = new DataView(next.buffer);
    }
    return this.#buf;
  }

  byte(b: number) {
    this.reserve(1)[this.length++] = b;
  }

  bytes(b: Uint8Array) {
    this.reserve(b.length).set(b, this.length);
    this.length += b.length;
  }

  /** Unsigned LEB128 of a non-negative integer. */
  uvarint(v: number) {
    const buf = this.reserve(8);
    while (v >= 128) {
      buf[this.length++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    buf[this.length++] = v;
  }

  /** Zig-zag then LEB128: small magnitudes of either sign take few bytes. */
  zigzag(v: number) {
    this.uvarint(v >= 0 ? 2 * v : -2 * v - 1);
  }

  int32LE(v: number) {
    this.reserve(4);
    this.#view.setInt32(this.length, v, true);
    this.length += 4;
  }

  int64LE(v: number) {
    this.reserve(8);
    const hi = Math.floor(v / TWO_32);
    this.#view.setUint32(this.length, v - hi * TWO_32, true);
    this.#view.setInt32(this.length + 4, hi, true);
    this.length += 8;
  }

  float64LE(v: number) {
    this.reserve(8);
    this.#view.setFloat64(this.length, v, true);
    this.length += 8;
  }

  /** The bytes written so far (a view, not a copy). */
  view(): Uint8Array {
    return this.#buf.subarray(0, this.length);
  }
}
