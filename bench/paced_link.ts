/**
 * A network link for the dashboard bench: the app's responses paced to a bandwidth, optionally
 * with the browser's Accept-Encoding removed, so a cold page load can be timed as a remote user
 * would see it. The app itself is unchanged; only the socket in front of it is slow.
 * @module
 */
const SLICE = 64 * 1024;

export interface LinkOptions {
  /** Bandwidth in bits per second. */
  bitsPerSecond: number;
  /** Send every request without Accept-Encoding: the uncompressed baseline. */
  identity: () => boolean;
}

function paced(res: Response, bytesPerMs: number): Response {
  if (!res.body) return res;
  let freeAt = performance.now();
  const body = res.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      async transform(chunk, out) {
        for (let i = 0; i < chunk.length; i += SLICE) {
          const slice = chunk.subarray(i, i + SLICE);
          freeAt = Math.max(freeAt, performance.now()) + slice.length / bytesPerMs;
          const wait = freeAt - performance.now();
          if (wait > 1) await new Promise((r) => setTimeout(r, wait));
          out.enqueue(slice);
        }
      },
    }),
  );
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}

/** A fetch handler that answers through `app` over a link of the given bandwidth. */
export function pacedLink(
  app: (req: Request) => Response | Promise<Response>,
  { bitsPerSecond, identity }: LinkOptions,
): (req: Request) => Promise<Response> {
  const bytesPerMs = bitsPerSecond / 8 / 1000;
  return async (req) => {
    if (identity()) {
      const headers = new Headers(req.headers);
      headers.delete("accept-encoding");
      req = new Request(req, { headers });
    }
    return paced(await app(req), bytesPerMs);
  };
}
