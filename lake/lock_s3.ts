/**
 * A store lock on S3: a lease object naming its holder, a random token and an expiry, renewed
 * while held. A holder that dies stops renewing, and the lease is free once it expires. Taking it
 * is a conditional PUT (If-None-Match when there is none, If-Match on the expired one), which S3
 * applies atomically; the lease is then read back, so that on a server that ignores the condition
 * (s3rver does) only the last writer goes on. There the read-back narrows the race but does not
 * close it, and the lock says it is not exclusive.
 * @module
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { type LockHolder, type LockOptions, type LockState, LockWaitTimeoutError, type StoreLock } from "./store.ts";

interface Lease extends LockHolder {
  token: string;
  expires_at: string;
}

const DEFAULT_TTL_MS = 60_000;

/** A stored lease; one that cannot be read counts as expired, so a damaged object cannot lock a table for good. */
function leaseOf(text: string): Lease {
  try {
    const lease = JSON.parse(text);
    if (typeof lease?.token === "string" && typeof lease.expires_at === "string") return lease;
  } catch { /* damaged */ }
  return { job: "unknown", pid: 0, host: "unknown", since: "", token: "", expires_at: new Date(0).toISOString() };
}

const status = (e: unknown) => (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The lease stored at `key` and its ETag, or undefined when there is none. */
async function readLease(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<{ lease: Lease; etag: string } | undefined> {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return { lease: leaseOf(await res.Body!.transformToString()), etag: res.ETag! };
  } catch (e) {
    if (status(e) === 404 || (e as Error).name === "NoSuchKey") return undefined;
    throw new Error(`Cannot read the lock s3://${bucket}/${key}: ${(e as Error).message}`, { cause: e });
  }
}

export async function leaseLock(
  s3: S3Client,
  bucket: string,
  key: string,
  holder: LockHolder,
  { waiting, ttlMs = DEFAULT_TTL_MS, maxWaitMs = Infinity }: LockOptions = {},
): Promise<StoreLock> {
  const token = crypto.randomUUID();
  const read = () => readLease(s3, bucket, key);
  /** When our last stored lease runs out: counted from the moment its PUT was sent. */
  let expiresAt = 0;
  /** Write our lease on the condition given; its ETag, or undefined when another got there first. */
  const write = async (condition: { IfMatch?: string; IfNoneMatch?: string }) => {
    const sent = Date.now();
    const lease: Lease = { ...holder, token, expires_at: new Date(sent + ttlMs).toISOString() };
    try {
      const body = JSON.stringify(lease);
      const etag = (await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...condition }))).ETag;
      expiresAt = Math.max(expiresAt, sent + ttlMs);
      return etag;
    } catch (e) {
      if (status(e) === 412 || status(e) === 409) return undefined;
      throw new Error(`Cannot write the lock s3://${bucket}/${key}: ${(e as Error).message}`, { cause: e });
    }
  };

  let etag: string | undefined;
  const started = performance.now();
  for (let told = false; !etag;) {
    const current = await read();
    if (current && current.lease.token !== token && Date.parse(current.lease.expires_at) > Date.now()) {
      const waited = performance.now() - started;
      if (waited >= maxWaitMs) throw new LockWaitTimeoutError(`s3://${bucket}/${key}`, current.lease, waited);
      if (!told) waiting?.(current.lease), told = true;
      await sleep(Math.min(Math.min(1000, ttlMs / 3) * (0.5 + Math.random()), maxWaitMs - waited));
      continue;
    }
    if (await write(current ? { IfMatch: current.etag } : { IfNoneMatch: "*" })) {
      const mine = await read();
      if (mine?.lease.token === token) etag = mine.etag;
    }
  }

  // Our lease exists now, so a server that applies conditions refuses this PUT; one that ignores
  // them takes it (the same lease, as ours).
  const unrefused = await write({ IfNoneMatch: "*" });
  etag = unrefused ?? etag;

  // Renewed well before it expires; a renewal that fails is retried at the next beat. One refused
  // (the lease is no longer ours: another job took it once it ran out) ends the renewals.
  let held = true;
  let takenOver = false;
  let renewing = Promise.resolve();
  let beat: ReturnType<typeof setTimeout>;
  const renewLater = () => {
    if (!held || takenOver) return;
    beat = setTimeout(() => {
      renewing = write({ IfMatch: etag }).then((next) => void (next ? etag = next : takenOver = true), () => {})
        .then(renewLater);
    }, ttlMs / 3);
  };
  renewLater();
  return {
    exclusive: unrefused === undefined,
    lost() {
      if (!held) return undefined;
      if (takenOver) return "another job took over its lease";
      if (Date.now() >= expiresAt) return `its lease ran out at ${new Date(expiresAt).toISOString()} before a renewal`;
      return undefined;
    },
    async release() {
      if (!held) return;
      held = false;
      clearTimeout(beat);
      await renewing;
      if ((await read())?.lease.token === token) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
  };
}

/** The lease at `key` as an onlooker sees it: held until it expires; a damaged one is free and names nobody. */
export async function inspectLease(s3: S3Client, bucket: string, key: string): Promise<LockState | undefined> {
  const stored = await readLease(s3, bucket, key);
  if (!stored) return undefined;
  const { token, expires_at, ...holder } = stored.lease;
  return {
    state: Date.parse(expires_at) > Date.now() ? "held" : "free",
    holder: token ? holder : undefined,
    expires_at,
  };
}
