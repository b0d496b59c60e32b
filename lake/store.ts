/**
 * The one object-store interface behind the lake. Adapters: {@link ./store_local.ts} and
 * {@link ./store_s3.ts}. Keys are `/`-separated relative paths checked by {@linkcode assertKey}.
 * @module
 */

/** What a listing or `head` says about one object. */
export interface ObjectInfo {
  key: string;
  size: number;
  /** Last modification time, when the backend knows it. */
  modified?: Date;
}

/** A flat key -> bytes store. Every `put` is atomic: readers see the old object or the new one. */
export interface ObjectStore {
  /** Human-readable location, e.g. `file:///srv/lake` or `s3://bucket/prefix`. Never holds secrets. */
  readonly url: string;
  /** The whole object, or `undefined` when it does not exist. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Bytes `start..end` inclusive (HTTP Range semantics), or `undefined` when it does not exist. */
  getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined>;
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Write atomically: temp + rename locally, a single PUT on S3. */
  put(key: string, body: Uint8Array | string): Promise<void>;
  /**
   * Read an object in ranges without holding it whole, or `undefined` when it does not exist.
   * The reader serves the version it opened, or throws: it never mixes two versions.
   */
  openRead(key: string): Promise<ObjectReader | undefined>;
  /**
   * Write an object a chunk at a time without holding it whole. Nothing is visible before
   * `commit()`, which is as atomic as `put()`: temp + rename locally, a multipart upload on S3.
   */
  openWrite(key: string): ObjectWriter;
  /** Every object whose key starts with `prefix`, sorted by key. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** Remove an object; removing a missing object is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Take the exclusive lock `key`, waiting while another process or job holds it. A holder that
   * dies releases it: at once on disk (an OS file lock), once its lease (renewed while held) runs
   * out on S3.
   */
  lock(key: string, holder: LockHolder, options?: LockOptions): Promise<StoreLock>;
  /** The lock `key` as an onlooker sees it, without taking it; undefined when there is no such lock. */
  inspectLock(key: string): Promise<LockState | undefined>;
  /**
   * Delete what killed writers left under `prefix` (temp files on disk), for a lock holder to call
   * on the keys its lock guards, where no live writer can be at work. Absent where the store has
   * no such leftovers to find (S3's incomplete uploads need a bucket lifecycle rule).
   */
  removeLeftovers?(prefix: string): Promise<{ files: number; bytes: number }>;
}

/** A lock seen from outside: held, or free (when it names a holder, that holder died holding it). */
export interface LockState {
  state: "held" | "free";
  /** Who holds it; when free, the last holder that never released it (it was killed), if any. */
  holder?: LockHolder;
  /** S3: when the lease runs out unless its holder renews it. */
  expires_at?: string;
  /** Local disk on Linux: processes waiting to take it. */
  waiting?: number;
}

/** Who holds a lock, as those waiting for it are told. */
export interface LockHolder {
  job: string;
  pid: number;
  host: string;
  since: string;
}

/** This process as a lock's holder, for `job`. */
export function lockHolder(job: string): LockHolder {
  let host = "unknown";
  try {
    host = Deno.hostname();
  } catch { /* not allowed to ask (Deno Deploy) */ }
  return { job, pid: Deno.pid, host, since: new Date().toISOString() };
}

export interface LockOptions {
  /** Called once if the lock is held by another, with the holder when it is known. */
  waiting?: (holder: LockHolder | undefined) => void;
  /** S3: how long the lease outlives its last renewal, should the holder die (default 60 s). */
  ttlMs?: number;
  /**
   * Give up with {@linkcode LockWaitTimeoutError} after waiting this long for another holder
   * (0: do not wait; Infinity: no limit). Default: the store's own limit (`TICKLAKE_LOCK_WAIT_S`,
   * meant for table locks), else none.
   */
  maxWaitMs?: number;
  /**
   * Key prefixes the lock guards. Where a held lock can be lost (an S3 lease that ran out while its
   * holder stalled, or that another job took), this store then refuses the holder's writes under
   * them with {@linkcode LockLostError}, so it cannot overwrite what the next holder wrote.
   */
  guards?: string[];
}

/**
 * The store could not do what was asked, for a reason outside the program (a full disk, a
 * directory it may not write, an S3 endpoint it cannot reach, a missing bucket, refused
 * credentials); its message says what to check. Nothing half-written is visible.
 */
export class StoreError extends Error {
  override name = "StoreError";
}

/** A write refused because the lock guarding its key was lost (see {@linkcode LockOptions.guards}). */
export class LockLostError extends Error {
  override name = "LockLostError";
}

/** A lock not taken: another held it for longer than the taker would wait. */
export class LockWaitTimeoutError extends Error {
  override name = "LockWaitTimeoutError";
  constructor(key: string, readonly holder: LockHolder | undefined, waitedMs: number) {
    const by = holder
      ? `job ${holder.job} (pid ${holder.pid} on ${holder.host}, since ${holder.since})`
      : "another job";
    super(`Cannot take the lock ${key}: ${by} held it for the ${(waitedMs / 1000).toFixed(1)} s this job would wait`);
  }
}

/** A held lock; `release()` is idempotent. */
export interface StoreLock {
  /** Whether no other taker can hold it at once; false on an S3 server that ignores conditional writes. */
  readonly exclusive: boolean;
  /** Why the lock is no longer held though not released (an S3 lease lost), or undefined while it is held. */
  lost(): string | undefined;
  release(): Promise<void>;
}

/** An object opened for ranged reads. */
export interface ObjectReader {
  readonly size: number;
  /** Bytes `start` (inclusive) to `end` (exclusive), as `Blob.slice` counts them. */
  read(start: number, end: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * Where bytes are written in order; an {@linkcode ObjectWriter} is one. A sink may keep a chunk
 * until it is done, so a writer hands over each chunk and does not reuse it.
 */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<void>;
}

/** An object being written; `abort()` (idempotent) leaves the previous version, if any, in place. */
export interface ObjectWriter extends ByteSink {
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** An {@linkcode ObjectReader} over bytes already in memory. */
export function bytesReader(bytes: Uint8Array): ObjectReader {
  return {
    size: bytes.length,
    read: (start, end) => Promise.resolve(bytes.subarray(start, end)),
    close: () => Promise.resolve(),
  };
}

/** A {@linkcode ByteSink} that keeps what it is given; `bytes()` joins it. */
export function bytesCollector(): ByteSink & { bytes(): Uint8Array } {
  const chunks: Uint8Array[] = [];
  return {
    write(chunk) {
      chunks.push(chunk);
      return Promise.resolve();
    },
    bytes: () => concatBytes(chunks),
  };
}

/** Chunks joined into one array (the chunk itself when there is one). */
export function concatBytes(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) out.set(c, at), at += c.length;
  return out;
}

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.=+-]*$/;

/**
 * Throw a `TypeError` unless `key` is a safe relative key: segments of letters, digits and
 * `_.=+-`, none starting with a dot, so no `..`, no absolute path and no empty segment.
 *
 * @example Reject traversal
 * ```ts
 * import { assertKey } from "./store.ts";
 * assertKey("curated/daily_bars/year=2024/data.parquet");
 * let threw = false;
 * try { assertKey("../etc/passwd"); } catch { threw = true; }
 * if (!threw) throw new Error("traversal accepted");
 * ```
 */
export function assertKey(key: string, { allowPrefix = false } = {}): void {
  if (allowPrefix && key === "") return;
  const body = allowPrefix && key.endsWith("/") ? key.slice(0, -1) : key;
  if (key.length > 1024 || !body.split("/").every((s) => SEGMENT.test(s))) {
    throw new TypeError(`Cannot use object key '${key}': it must be a relative path of safe segments`);
  }
}

/** Decode an object as UTF-8 text, or `undefined` when it is missing. */
export async function getText(store: ObjectStore, key: string): Promise<string | undefined> {
  const bytes = await store.get(key);
  return bytes && new TextDecoder().decode(bytes);
}

/** Read and parse a JSON object, or `undefined` when it is missing. */
export async function getJson<T = unknown>(store: ObjectStore, key: string): Promise<T | undefined> {
  const text = await getText(store, key);
  return text === undefined ? undefined : JSON.parse(text) as T;
}

/** Write a value as pretty JSON. */
export function putJson(store: ObjectStore, key: string, value: unknown): Promise<void> {
  return store.put(key, JSON.stringify(value, null, 2) + "\n");
}
