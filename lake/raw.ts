/**
 * The raw layer: every provider reply stored verbatim, with a `.meta.json` sidecar holding the
 * request metadata (URL without secrets, status, fetched_at, request id, sha256). The sidecar is
 * written last, so a raw object counts as present only once its metadata exists.
 * @module
 */
import { layout, type ProviderName } from "./layout.ts";
import { getJson, type ObjectStore, putJson } from "./store.ts";

export interface RawMeta {
  provider: string;
  dataset: string;
  url: string;
  status: number;
  content_type: string;
  fetched_at: string;
  request_id: string;
  sha256: string;
  bytes: number;
  /** Free-form request facts (symbol, range, load id). */
  request?: Record<string, unknown>;
}

/** A provider reply as the raw layer stores it. */
export interface RawReply {
  provider: string;
  /** The request URL with credentials removed. */
  url: string;
  status: number;
  contentType: string;
  body: Uint8Array;
  fetchedAt: Date;
  requestId: string;
}

/** Hex SHA-256 of some bytes. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Store one reply verbatim plus its metadata; returns the raw key that lineage points at.
 * `name` identifies the request within the dataset (e.g. the symbol).
 */
export async function writeRaw(
  store: ObjectStore,
  reply: RawReply,
  { dataset, name, ext = "json", request }: {
    dataset: string;
    name: string;
    ext?: string;
    request?: Record<string, unknown>;
  },
): Promise<string> {
  const date = reply.fetchedAt.toISOString().slice(0, 10);
  const stamp = reply.fetchedAt.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const safeId = reply.requestId.replace(/[^A-Za-z0-9]/g, "").slice(0, 32) || "req";
  const key = layout.raw(reply.provider as ProviderName, dataset, date, `${name}_${stamp}_${safeId}`, ext);
  await store.put(key, reply.body);
  const meta: RawMeta = {
    provider: reply.provider,
    dataset,
    url: reply.url,
    status: reply.status,
    content_type: reply.contentType,
    fetched_at: reply.fetchedAt.toISOString(),
    request_id: reply.requestId,
    sha256: await sha256Hex(reply.body),
    bytes: reply.body.length,
    request,
  };
  await putJson(store, layout.rawMeta(key), meta);
  return key;
}

/** The keys of a dataset's completed replies (those whose metadata was written), sorted. */
export function storedReplies(store: ObjectStore, provider: ProviderName, dataset: string): Promise<string[]> {
  return repliesUnder(store, layout.rawPrefix(provider, dataset));
}

/** The keys of the completed replies under a raw prefix (a dataset, or one fetch day of it), sorted. */
export async function repliesUnder(store: ObjectStore, prefix: string): Promise<string[]> {
  const suffix = layout.rawMetaSuffix;
  return (await store.list(prefix)).filter((o) => o.key.endsWith(suffix)).map((o) => o.key.slice(0, -suffix.length));
}

/** The metadata of a raw object, or `undefined` if it was never completed. */
export function readRawMeta(store: ObjectStore, rawKey: string): Promise<RawMeta | undefined> {
  return getJson<RawMeta>(store, layout.rawMeta(rawKey));
}

/** The metadata of every key in order (`undefined` where missing), a few reads at a time. */
export async function readRawMetas(store: ObjectStore, keys: string[]): Promise<(RawMeta | undefined)[]> {
  const metas = new Array<RawMeta | undefined>(keys.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < keys.length; i = next++) metas[i] = await readRawMeta(store, keys[i]);
  };
  await Promise.all(Array.from({ length: 16 }, lane));
  return metas;
}
