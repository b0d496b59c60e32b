/**
 * Static bodies sent compressed when the browser accepts it. DuckDB-WASM's module is 18 MB and
 * 3.8 MB as zstd; a dashboard opened over a network waits for those bytes on every cold cache.
 * Each body is compressed once, off the event loop, and kept as long as the body is.
 * @module
 */
import { gzip, zstdCompress } from "node:zlib";

export type Encoding = "zstd" | "gzip";

type Compress = (body: Uint8Array, done: (error: Error | null, out: Uint8Array) => void) => void;
/** node:zlib's callback form runs on its thread pool, so a first 18 MB compression does not stall requests. */
const offThread = (compress: Compress) => (body: Uint8Array) =>
  new Promise<Uint8Array>((resolve, reject) => compress(body, (error, out) => error ? reject(error) : resolve(out)));
const compressors: Record<Encoding, (body: Uint8Array) => Promise<Uint8Array>> = {
  zstd: offThread(zstdCompress as unknown as Compress),
  gzip: offThread(gzip as unknown as Compress),
};

/**
 * The encoding to send for an `Accept-Encoding` header: zstd, else gzip, else none. A coding
 * listed with `q=0` is refused.
 *
 * @example
 * ```ts
 * import { chooseEncoding } from "./compressed.ts";
 * if (chooseEncoding("gzip, deflate, br, zstd") !== "zstd") throw new Error();
 * if (chooseEncoding("zstd;q=0, gzip") !== "gzip" || chooseEncoding(undefined) !== undefined) throw new Error();
 * ```
 */
export function chooseEncoding(accept: string | undefined): Encoding | undefined {
  const accepted = new Set<string>();
  for (const part of (accept ?? "").split(",")) {
    const [coding, ...params] = part.trim().toLowerCase().split(";").map((s) => s.trim());
    const q = params.find((p) => p.startsWith("q="));
    if (coding && !(q && Number(q.slice(2)) === 0)) accepted.add(coding);
  }
  return (["zstd", "gzip"] as const).find((e) => accepted.has(e));
}

const cache = new WeakMap<Uint8Array, Map<Encoding, Promise<Uint8Array>>>();

/** `body` in `encoding`, compressed on first use. */
function compressed(body: Uint8Array, encoding: Encoding): Promise<Uint8Array> {
  let copies = cache.get(body);
  if (!copies) cache.set(body, copies = new Map());
  let copy = copies.get(encoding);
  if (!copy) {
    copy = compressors[encoding](body);
    // A failure is not kept: the next request tries again.
    copy.catch(() => copies.delete(encoding));
    copies.set(encoding, copy);
  }
  return copy;
}

/**
 * A response body and headers for `body`: compressed when the request accepts it, with `Vary`
 * either way so that a shared cache keeps the two apart.
 */
export async function negotiated(
  body: Uint8Array,
  acceptEncoding: string | undefined,
  headers: Record<string, string>,
): Promise<{ body: Uint8Array<ArrayBuffer>; headers: Record<string, string> }> {
  const encoding = chooseEncoding(acceptEncoding);
  const vary = { ...headers, vary: "Accept-Encoding" };
  if (!encoding) return { body: body as Uint8Array<ArrayBuffer>, headers: vary };
  const out = await compressed(body, encoding);
  return { body: out as Uint8Array<ArrayBuffer>, headers: { ...vary, "content-encoding": encoding } };
}
