/**
 * S3 {@linkcode ObjectStore} on @aws-sdk/client-s3. A PUT is atomic by S3's semantics: readers
 * see the old object or the new one, never part of one. Keys live under the lake's prefix.
 * @module
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import type { LakeLocation } from "../config.ts";
import { inspectLease, leaseLock } from "./lock_s3.ts";
import {
  assertKey,
  concatBytes,
  LockLostError,
  LockWaitTimeoutError,
  type ObjectInfo,
  type ObjectReader,
  type ObjectStore,
  type ObjectWriter,
  StoreError,
  type StoreLock,
} from "./store.ts";

type S3Location = Extract<LakeLocation, { kind: "s3" }>;

/** Multipart part size: S3 takes parts of 5 MiB or more, bar the last. */
const PART_BYTES = 8 * 2 ** 20;
/** A reader fetches this much at a time, since a Parquet reader asks for many small ranges. */
const BLOCK_BYTES = 8 * 2 ** 20;

type SdkError = { name?: string; code?: string; cause?: { code?: string }; $metadata?: { httpStatusCode?: number } };

/** A missing object (a missing bucket is a 404 too, but no object's absence). */
function isMissing(e: unknown): boolean {
  const err = e as SdkError;
  if (err?.name === "NoSuchBucket") return false;
  return err?.name === "NoSuchKey" || err?.name === "NotFound" || err?.$metadata?.httpStatusCode === 404;
}

const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH"]);
const REFUSED = new Set(["InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "ExpiredToken"]);

/** What the user can check when S3 fails a request, from the SDK's error; undefined when nothing in particular. */
function s3Hint(e: unknown, loc: Omit<S3Location, "kind">): string | undefined {
  const err = e as SdkError;
  if (UNREACHABLE.has(err?.code ?? err?.cause?.code ?? "") || err?.name === "TimeoutError") {
    return `cannot reach ${loc.endpoint ?? "AWS S3"}: check AWS_ENDPOINT_URL (or TICKLAKE_S3_ENDPOINT) and the network`;
  }
  if (err?.name === "NoSuchBucket") return `the bucket '${loc.bucket}' does not exist: create it, or fix TICKLAKE_LAKE`;
  if (REFUSED.has(err?.name ?? "") || err?.$metadata?.httpStatusCode === 403) {
    return "S3 refused the request: check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and the bucket's policy";
  }
  return undefined;
}

/**
 * Open an S3 lake. Pass `client` to share one SDK client; otherwise one is made from `loc`.
 */
export function createS3Store(loc: Omit<S3Location, "kind">, client?: S3Client): ObjectStore & { client: S3Client } {
  const s3 = client ?? new S3Client({
    region: loc.region,
    endpoint: loc.endpoint,
    forcePathStyle: loc.forcePathStyle,
    credentials: loc.credentials,
  });
  const base = loc.prefix ? `${loc.prefix}/` : "";
  const full = (key: string) => {
    assertKey(key);
    return base + key;
  };
  const wrap = (action: string, key: string, e: unknown) =>
    new StoreError(`Cannot ${action} s3://${loc.bucket}/${base}${key}: ${s3Hint(e, loc) ?? (e as Error).message}`, {
      cause: e,
    });

  async function read(key: string, range?: string): Promise<Uint8Array | undefined> {
    try {
      const res = await s3.send(new GetObjectCommand({ Bucket: loc.bucket, Key: full(key), Range: range }));
      return await res.Body!.transformToByteArray();
    } catch (e) {
      if (isMissing(e)) return undefined;
      if (e instanceof TypeError) throw e;
      throw wrap("read", key, e);
    }
  }

  async function openRead(key: string): Promise<ObjectReader | undefined> {
    let etag: string | undefined, size: number;
    try {
      const res = await s3.send(new HeadObjectCommand({ Bucket: loc.bucket, Key: full(key) }));
      etag = res.ETag;
      size = res.ContentLength ?? 0;
    } catch (e) {
      if (isMissing(e)) return undefined;
      if (e instanceof TypeError) throw e;
      throw wrap("stat", key, e);
    }
    // Every range must come from the version opened: S3 refuses a changed object (If-Match), and
    // the ETag check catches servers that ignore the header.
    const fetch = async (start: number, end: number) => {
      let res;
      try {
        res = await s3.send(
          new GetObjectCommand({
            Bucket: loc.bucket,
            Key: full(key),
            Range: `bytes=${start}-${end - 1}`,
            IfMatch: etag,
          }),
        );
      } catch (e) {
        if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 412) {
          throw wrap("read", key, e);
        }
      }
      if (res?.ETag !== etag) {
        throw new Error(`Cannot read s3://${loc.bucket}/${base}${key}: it changed while being read`);
      }
      return await res!.Body!.transformToByteArray();
    };
    // The two most recent blocks: the footer's and the one being read through.
    const blocks = new Map<number, Promise<Uint8Array>>();
    const block = (i: number) => {
      let b = blocks.get(i);
      if (!b) {
        b = fetch(i * BLOCK_BYTES, Math.min(size, (i + 1) * BLOCK_BYTES));
        blocks.set(i, b);
        b.catch(() => blocks.delete(i));
      } else blocks.delete(i), blocks.set(i, b);
      if (blocks.size > 2) blocks.delete(blocks.keys().next().value!);
      return b;
    };
    return {
      size,
      async read(start, end) {
        end = Math.min(end, size);
        if (end <= start) return new Uint8Array(0);
        if (end - start > BLOCK_BYTES) return fetch(start, end);
        const first = Math.floor(start / BLOCK_BYTES), last = Math.floor((end - 1) / BLOCK_BYTES);
        const parts = [];
        for (let i = first; i <= last; i++) {
          const b = await block(i);
          const from = Math.max(start - i * BLOCK_BYTES, 0), to = Math.min(end - i * BLOCK_BYTES, b.length);
          parts.push(b.subarray(from, to));
        }
        return concatBytes(parts);
      },
      close: () => Promise.resolve(blocks.clear()),
    };
  }

  /** The locks this store's callers hold, with the key prefixes each guards. */
  const guards = new Set<{ key: string; prefixes: string[]; lock: StoreLock }>();
  /** Refuse a write under a prefix whose guarding lock was lost: the next holder may have written there. */
  function assertGuarded(key: string) {
    for (const g of guards) {
      const reason = g.prefixes.some((p) => key.startsWith(p)) ? g.lock.lost() : undefined;
      if (reason) {
        throw new LockLostError(`Cannot write ${key}: the lock ${g.key} guarding it was lost (${reason})`);
      }
    }
  }

  /** Small objects go up in one PUT at commit; larger ones as a multipart upload, completed at commit. */
  function openWrite(key: string): ObjectWriter {
    const k = full(key);
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let uploadId: string | undefined;
    const parts: { ETag?: string; PartNumber: number }[] = [];
    const flushPart = async () => {
      const body = concatBytes(pending);
      pending = [], pendingBytes = 0;
      uploadId ??= (await s3.send(new CreateMultipartUploadCommand({ Bucket: loc.bucket, Key: k }))).UploadId!;
      const PartNumber = parts.length + 1;
      const res = await s3.send(
        new UploadPartCommand({
          Bucket: loc.bucket,
          Key: k,
          UploadId: uploadId,
          PartNumber,
          Body: body,
          ContentLength: body.length,
        }),
      );
      parts.push({ ETag: res.ETag, PartNumber });
    };
    return {
      async write(chunk) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        try {
          if (pendingBytes >= PART_BYTES) await flushPart();
        } catch (e) {
          throw wrap("write", key, e);
        }
      },
      async commit() {
        assertGuarded(key);
        try {
          if (uploadId === undefined) {
            const body = concatBytes(pending);
            await s3.send(new PutObjectCommand({ Bucket: loc.bucket, Key: k, Body: body, ContentLength: body.length }));
            return;
          }
          if (pendingBytes) await flushPart();
          await s3.send(
            new CompleteMultipartUploadCommand({
              Bucket: loc.bucket,
              Key: k,
              UploadId: uploadId,
              MultipartUpload: { Parts: parts },
            }),
          );
        } catch (e) {
          throw wrap("write", key, e);
        }
      },
      async abort() {
        pending = [];
        const id = uploadId;
        uploadId = undefined;
        if (id) {
          await s3.send(new AbortMultipartUploadCommand({ Bucket: loc.bucket, Key: k, UploadId: id })).catch(() => {});
        }
      },
    };
  }

  return {
    url: `s3://${loc.bucket}${loc.prefix ? `/${loc.prefix}` : ""}`,
    client: s3,
    get: (key) => read(key),
    getRange: (key, start, end) => read(key, `bytes=${start}-${end}`),
    async head(key) {
      try {
        const res = await s3.send(new HeadObjectCommand({ Bucket: loc.bucket, Key: full(key) }));
        return { key, size: res.ContentLength ?? 0, modified: res.LastModified };
      } catch (e) {
        if (isMissing(e)) return undefined;
        if (e instanceof TypeError) throw e;
        throw wrap("stat", key, e);
      }
    },
    async put(key, body) {
      assertGuarded(key);
      const k = full(key);
      const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
      try {
        await s3.send(new PutObjectCommand({ Bucket: loc.bucket, Key: k, Body: bytes, ContentLength: bytes.length }));
      } catch (e) {
        throw wrap("write", key, e);
      }
    },
    openRead,
    openWrite,
    async list(prefix) {
      assertKey(prefix, { allowPrefix: true });
      const out: ObjectInfo[] = [];
      let token: string | undefined;
      do {
        const res = await s3.send(
          new ListObjectsV2Command({ Bucket: loc.bucket, Prefix: base + prefix, ContinuationToken: token }),
        ).catch((e) => Promise.reject(wrap("list", prefix, e)));
        for (const o of res.Contents ?? []) {
          out.push({ key: o.Key!.slice(base.length), size: o.Size ?? 0, modified: o.LastModified });
        }
        token = res.IsTruncated ? res.NextContinuationToken : undefined;
      } while (token);
      return out.sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    },
    async delete(key) {
      try {
        await s3.send(new DeleteObjectCommand({ Bucket: loc.bucket, Key: full(key) }));
      } catch (e) {
        if (!isMissing(e)) throw wrap("delete", key, e);
      }
    },
    async lock(key, holder, options) {
      const lock = await leaseLock(s3, loc.bucket, full(key), holder, {
        ...options,
        maxWaitMs: options?.maxWaitMs ?? loc.lockWaitMs,
      }).catch((e) => Promise.reject(e instanceof LockWaitTimeoutError ? e : wrap("lock", key, e)));
      const guard = { key, prefixes: options?.guards ?? [], lock };
      guards.add(guard);
      return { ...lock, release: () => (guards.delete(guard), lock.release()) };
    },
    inspectLock: (key) => inspectLease(s3, loc.bucket, full(key)),
  };
}
