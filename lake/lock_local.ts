/**
 * A store lock on local disk: an OS file lock (flock) on a file in the lake. The kernel drops it
 * when its holder exits, however it ends, so a killed job never leaves the lake locked. The holder
 * writes who it is into the file, for those who wait.
 * @module
 */
import { dirname } from "node:path";
import { type LockHolder, type LockOptions, type LockState, LockWaitTimeoutError, type StoreLock } from "./store.ts";

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

/** How often a taker with a time limit tries the lock again. */
const RETRY_MS = 200;

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
    const limit = options.maxWaitMs ?? Infinity;
    await (limit === Infinity ? waitFor(file, path, options) : tryUntil(file, path, options, limit));
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
    lost: () => undefined, // the kernel keeps it for as long as the file is open
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

/** Wait for the lock as long as it takes: the kernel queues this process (status counts it as waiting). */
async function waitFor(file: Deno.FsFile, path: string, options: LockOptions) {
  const taken = file.lock(true);
  if (!await settlesWithin(taken, NOTICE_MS)) {
    options.waiting?.(await lockHolderAt(path));
    await taken;
  }
}

/** Try the lock until `maxWaitMs` has passed: a blocking request, once made, cannot be withdrawn. */
async function tryUntil(file: Deno.FsFile, path: string, options: LockOptions, maxWaitMs: number) {
  const started = performance.now();
  let told = false;
  while (!await file.tryLock(true)) {
    const waited = performance.now() - started;
    if (waited >= maxWaitMs) throw new LockWaitTimeoutError(path, await lockHolderAt(path), waited);
    if (!told) options.waiting?.(await lockHolderAt(path)), told = true;
    await new Promise((resolve) => setTimeout(resolve, Math.min(RETRY_MS, maxWaitMs - waited)));
  }
}

/**
 * The kernel's name for a file in /proc/locks: major and minor device numbers (hex) and inode.
 * glibc's encoding of `dev`: the minor's low 8 bits, then the major's 12, then the rest of each.
 */
function lockTableId(dev: number, ino: number): string {
  const d = BigInt(dev);
  const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn);
  const minor = (d & 0xffn) | ((d >> 12n) & ~0xffn);
  return `${major.toString(16).padStart(2, "0")}:${minor.toString(16).padStart(2, "0")}:${ino}`;
}

/** Whether nobody holds `path`'s lock, found by taking it for an instant: where no lock table can be read. */
async function isFree(path: string): Promise<boolean> {
  const file = await Deno.open(path, { read: true });
  try {
    const free = await file.tryLock(true);
    if (free) await file.unlock();
    return free;
  } finally {
    file.close();
  }
}

/**
 * `path`'s lock as an onlooker sees it. The file alone cannot say whether it is held (a killed
 * holder's name stays in it), so the kernel's lock table is asked: Linux lists every flock, and
 * every process waiting for one, in /proc/locks (`lockTable`). Elsewhere the onlooker tries the
 * lock for an instant, and cannot count who waits.
 */
export async function inspectLockFile(path: string, lockTable = "/proc/locks"): Promise<LockState | undefined> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  const holder = await lockHolderAt(path);
  let table: string | undefined;
  try {
    table = await Deno.readTextFile(lockTable);
  } catch { /* not Linux */ }
  if (table === undefined || info.dev === null || info.ino === null) {
    return { state: await isFree(path) ? "free" : "held", holder };
  }
  const id = lockTableId(info.dev, info.ino);
  let held = false, waiting = 0;
  for (const line of table.split("\n")) {
    const entry = /^\d+:\s+(->\s+)?FLOCK\s+\S+\s+\S+\s+\d+\s+(\S+)\s/.exec(line);
    if (entry?.[2] !== id) continue;
    if (entry[1]) waiting++;
    else held = true;
  }
  return { state: held ? "held" : "free", holder, waiting };
}
