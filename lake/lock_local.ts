/**
 * A store lock on local disk: an OS file lock (flock) on a file in the lake. The kernel drops it
 * when its holder exits, however it ends, so a killed job never leaves the lake locked. The holder
 * writes who it is into the file, for those who wait.
 * @module
 */
import { dirname } from "node:path";
import type { LockHolder, LockOptions, StoreLock } from "./store.ts";

/** How long a lock may take before the caller is told whom it waits for. */
const NOTICE_MS = 100;

/** The holder a lock file names, if it names one (it is empty while nobody holds the lock). */
async function lockHolderAt(path: string): Promise<LockHolder | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch {
    return undefined;
  }
}

/** Whether `p` settles within `ms`. */
function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p.then(() => true),
    new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), ms)),
  ]).finally(() => clearTimeout(timer));
}

export async function lockFile(path: string, holder: LockHolder, options: LockOptions = {}): Promise<StoreLock> {
  await Deno.mkdir(dirname(path), { recursive: true });
  // One open file per lock taken: flock locks belong to an open file, so two jobs of one process
  // exclude each other too.
  const file = await Deno.open(path, { read: true, write: true, create: true });
  try {
    const taken = file.lock(true);
    if (!await settlesWithin(taken, NOTICE_MS)) {
      options.waiting?.(await lockHolderAt(path));
      await taken;
    }
    await file.truncate(0);
    const bytes = new TextEncoder().encode(JSON.stringify(holder));
    for (let off = 0; off < bytes.length;) off += await file.write(bytes.subarray(off));
  } catch (e) {
    file.close();
    throw e;
  }
  let held = true;
  return {
    exclusive: true,
    async release() {
      if (!held) return;
      held = false;
      try {
        await file.truncate(0);
      } finally {
        file.close(); // drops the lock
      }
    },
  };
}
