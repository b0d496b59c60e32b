/**
 * A local cache of lake objects for DuckDB, which cannot read S3 here (no httpfs): objects are
 * fetched in parallel and written atomically; an object already cached with the same size and
 * modification time is not fetched again. A local-disk store is read in place.
 * @module
 */
import PQueue from "p-queue";
import { dirname, join } from "node:path";
import type { ObjectStore } from "./store.ts";

interface Stamp {
  size: number;
  modified?: string;
}

/** Local paths for `keys` (same order), fetching what is missing or stale. */
export async function cacheObjects(
  store: ObjectStore,
  keys: string[],
  cacheDir: string,
  { concurrency = 8 } = {},
): Promise<string[]> {
  const local = store as ObjectStore & { pathOf?: (key: string) => string };
  if (typeof local.pathOf === "function" && store.url.startsWith("file://")) return keys.map((k) => local.pathOf!(k));
  const root = join(cacheDir, encodeURIComponent(store.url));
  const queue = new PQueue({ concurrency });
  return await Promise.all(keys.map((key) =>
    queue.add(async () => {
      const info = await store.head(key);
      if (!info) throw new Error(`Cannot cache ${store.url}/${key}: it does not exist`);
      const path = join(root, key);
      const stamp: Stamp = { size: info.size, modified: info.modified?.toISOString() };
      const known = await Deno.readTextFile(`${path}.stamp.json`).then(JSON.parse).catch(() => undefined) as
        | Stamp
        | undefined;
      if (known && known.size === stamp.size && known.modified === stamp.modified) return path;
      const bytes = await store.get(key);
      if (!bytes) throw new Error(`Cannot cache ${store.url}/${key}: it disappeared while caching`);
      await Deno.mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.tmp-${crypto.randomUUID()}`;
      await Deno.writeFile(tmp, bytes);
      await Deno.rename(tmp, path);
      await Deno.writeTextFile(`${path}.stamp.json`, JSON.stringify(stamp));
      return path;
    }) as Promise<string>
  ));
}
