/**
 * S3 {@linkcode ObjectStore} on @aws-sdk/client-s3. A PUT is atomic by S3's semantics: readers
 * see the old object or the new one, never part of one. Keys live under the lake's prefix.
 * @module
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { LakeLocation } from "../config.ts";
import { assertKey, type ObjectInfo, type ObjectStore } from "./store.ts";

type S3Location = Extract<LakeLocation, { kind: "s3" }>;

function isMissing(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === "NoSuchKey" || err?.name === "NotFound" || err?.$metadata?.httpStatusCode === 404;
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
    new Error(`Cannot ${action} s3://${loc.bucket}/${base}${key}: ${(e as Error).message}`, { cause: e });

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
      const k = full(key);
      const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
      try {
        await s3.send(new PutObjectCommand({ Bucket: loc.bucket, Key: k, Body: bytes, ContentLength: bytes.length }));
      } catch (e) {
        throw wrap("write", key, e);
      }
    },
    async list(prefix) {
      assertKey(prefix, { allowPrefix: true });
      const out: ObjectInfo[] = [];
      let token: string | undefined;
      do {
        const res = await s3.send(
          new ListObjectsV2Command({ Bucket: loc.bucket, Prefix: base + prefix, ContinuationToken: token }),
        );
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
  };
}
