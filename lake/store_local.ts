/**
 * Local-disk {@linkcode ObjectStore}. Writes go to a temp file in the target directory, are
 * fsynced, then renamed over the target, so a killed writer never leaves a torn object.
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { assertKey, type ObjectInfo, type ObjectStore } from "./store.ts";

const TEMP_MARK = ".tmp-";

/**
 * Open a lake rooted at a local directory (created on first write).
 *
 * @example Round-trip an object
 * ```ts
 * import { createLocalStore } from "./store_local.ts";
 * const store = createLocalStore(await Deno.makeTempDir());
 * await store.put("a/b.txt", "hi");
 * const got = new TextDecoder().decode(await store.get("a/b.txt"));
 * if (got !== "hi") throw new Error(got);
 * ```
 */
export function createLocalStore(root: string): ObjectStore & { root: string; pathOf(key: string): string } {
  const base = resolve(root);
  const pathOf = (key: string) => {
    assertKey(key);
    return join(base, key);
  };

  async function statInfo(key: string): Promise<ObjectInfo | undefined> {
    try {
      const st = await Deno.stat(pathOf(key));
      return st.isFile ? { key, size: st.size, modified: st.mtime ?? undefined } : undefined;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return undefined;
      throw e;
    }
  }

  async function walk(dir: string, rel: string, out: ObjectInfo[]): Promise<void> {
    let entries: Deno.DirEntry[];
    try {
      entries = [];
      for await (const e of Deno.readDir(dir)) entries.push(e);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return;
      throw e;
    }
    for (const e of entries) {
      if (e.name.includes(TEMP_MARK)) continue;
      const key = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) await walk(join(dir, e.name), key, out);
      else if (e.isFile) {
        // A local stat takes microseconds; as async ops, 1,000 of them took 30-50 ms (5 ms sync).
        const st = Deno.statSync(join(dir, e.name));
        out.push({ key, size: st.size, modified: st.mtime ?? undefined });
      }
    }
  }

  return {
    url: `file://${base}`,
    root: base,
    pathOf,
    async get(key) {
      try {
        return await Deno.readFile(pathOf(key));
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return undefined;
        throw e;
      }
    },
    async getRange(key, start, end) {
      let file: Deno.FsFile;
      try {
        file = await Deno.open(pathOf(key));
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return undefined;
        throw e;
      }
      try {
        const size = (await file.stat()).size;
        const last = Math.min(end, size - 1);
        const buf = new Uint8Array(Math.max(0, last - start + 1));
        await file.seek(start, Deno.SeekMode.Start);
        let off = 0;
        while (off < buf.length) {
          const n = await file.read(buf.subarray(off));
          if (n === null) break;
          off += n;
        }
        return buf.subarray(0, off);
      } finally {
        file.close();
      }
    },
    head: statInfo,
    async put(key, body) {
      const target = pathOf(key);
      await Deno.mkdir(dirname(target), { recursive: true });
      const tmp = `${target}${TEMP_MARK}${crypto.randomUUID()}`;
      const data = typeof body === "string" ? new TextEncoder().encode(body) : body;
      try {
        const f = await Deno.open(tmp, { write: true, createNew: true });
        try {
          let off = 0;
          while (off < data.length) off += await f.write(data.subarray(off));
          await f.sync();
        } finally {
          f.close();
        }
        await Deno.rename(tmp, target);
      } catch (e) {
        await Deno.remove(tmp).catch(() => {});
        throw e;
      }
    },
    async list(prefix) {
      assertKey(prefix, { allowPrefix: true });
      // Walk only the deepest directory the prefix names, then filter by the remainder.
      const cut = prefix.lastIndexOf("/");
      const dirRel = cut >= 0 ? prefix.slice(0, cut) : "";
      const out: ObjectInfo[] = [];
      await walk(dirRel ? join(base, dirRel) : base, dirRel, out);
      return out.filter((o) => o.key.startsWith(prefix)).sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    },
    async delete(key) {
      await Deno.remove(pathOf(key)).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
    },
  };
}
