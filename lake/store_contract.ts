/**
 * The behaviour every {@linkcode ObjectStore} adapter must have, as one test suite that each
 * adapter's test file runs against its own store.
 * @module
 */
import assert from "node:assert/strict";
import { type LockHolder, lockHolder as holder, LockWaitTimeoutError, type ObjectStore } from "./store.ts";
import { holdLockInChild } from "../tests/support/hold_lock.ts";

export interface StoreFixture {
  store: ObjectStore;
  close(): Promise<void>;
  /** What an open reader does once its object is replaced: keep serving the old bytes, or refuse. */
  replacedWhileReading: "serves the old version" | "refuses";
  /** The environment under which `loadConfig()` opens this same store, for a child process. */
  env: Record<string, string>;
  /** Whether the backend lets no two takers hold a lock at once (an S3 server may ignore conditional writes). */
  exclusiveLocks: boolean;
}

const text = (b: Uint8Array | undefined) => b && new TextDecoder().decode(b);

export function defineStoreContract(
  name: string,
  open: () => Promise<StoreFixture>,
  options: Partial<Deno.TestDefinition> = {},
  /** Cases the backend behind this fixture cannot show, by name, with the reason (reported as ignored). */
  notApplicable: Record<string, string> = {},
) {
  const test = (what: string, fn: (s: ObjectStore, f: StoreFixture) => Promise<void>) =>
    Deno.test({
      ...options,
      ignore: what in notApplicable,
      name: what in notApplicable ? `${name}: ${what} (not applicable: ${notApplicable[what]})` : `${name}: ${what}`,
      async fn() {
        const f = await open();
        try {
          await fn(f.store, f);
        } finally {
          await f.close();
        }
      },
    });

  test("put() then get() returns the same bytes and text", async (s) => {
    await s.put("a/b.bin", new Uint8Array([0, 1, 2, 255]));
    await s.put("a/c.txt", "héllo");
    assert.deepEqual(await s.get("a/b.bin"), new Uint8Array([0, 1, 2, 255]));
    assert.equal(text(await s.get("a/c.txt")), "héllo");
  });

  test("get() and head() of a missing key return undefined", async (s) => {
    assert.equal(await s.get("nope/x"), undefined);
    assert.equal(await s.head("nope/x"), undefined);
    assert.equal(await s.getRange("nope/x", 0, 3), undefined);
  });

  test("put() replaces an object and head() reports its size", async (s) => {
    await s.put("k", "first version");
    await s.put("k", "v2");
    assert.equal(text(await s.get("k")), "v2");
    assert.equal((await s.head("k"))?.size, 2);
  });

  test("getRange() is inclusive and clamps past the end", async (s) => {
    await s.put("r", "0123456789");
    assert.equal(text(await s.getRange("r", 2, 4)), "234");
    assert.equal(text(await s.getRange("r", 8, 100)), "89");
  });

  test("list() returns matching keys sorted, nested ones included", async (s) => {
    for (const k of ["p/b", "p/a", "p/sub/c", "q/a", "pp"]) await s.put(k, k);
    assert.deepEqual((await s.list("p/")).map((o) => o.key), ["p/a", "p/b", "p/sub/c"]);
    assert.deepEqual((await s.list("")).map((o) => o.key), ["p/a", "p/b", "p/sub/c", "pp", "q/a"]);
    assert.equal((await s.list("p/")).find((o) => o.key === "p/sub/c")?.size, 7);
  });

  test("list() returns every key past one page of 1,000", async (s) => {
    const keys = Array.from({ length: 1_005 }, (_, i) => `many/k${String(i).padStart(4, "0")}`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => s.put(k, "x")));
    assert.deepEqual((await s.list("many/")).map((o) => o.key), keys);
  });

  test("delete() removes an object and is idempotent", async (s) => {
    await s.put("d", "x");
    await s.delete("d");
    await s.delete("d");
    assert.equal(await s.get("d"), undefined);
  });

  test("hostile keys are refused with TypeError and nothing is written", async (s) => {
    for (const bad of ["../x", "/abs", "a//b", ".hidden", "a/../b", "", "a/./b", "a\\b"]) {
      await assert.rejects(s.put(bad, "x"), TypeError, bad);
      await assert.rejects(s.get(bad), TypeError, bad);
    }
    assert.deepEqual(await s.list(""), []);
  });

  test("a 5 MB object round-trips intact", async (s) => {
    const big = new Uint8Array(5 * 2 ** 20).map((_, i) => (i * 31) & 255);
    await s.put("big/blob", big);
    assert.deepEqual(await s.get("big/blob"), big);
  });

  test("concurrent puts to one key leave one whole version", async (s) => {
    const versions = Array.from({ length: 6 }, (_, v) => new Uint8Array(256 * 1024).fill(v + 1));
    await Promise.all(versions.map((v) => s.put("race", v)));
    const got = (await s.get("race"))!;
    assert.equal(got.length, 256 * 1024);
    assert.ok(got.every((b) => b === got[0]), "bytes from more than one writer");
  });

  const pattern = (bytes: number, seed: number) =>
    new Uint8Array(bytes).map((_, i) => (i * 7 + seed + (i >> 12)) & 255);

  test("openWrite() shows nothing before commit(), then the whole object (17 MiB in 1 MiB chunks)", async (s) => {
    await s.put("w/obj", "old");
    const whole = pattern(17 * 2 ** 20, 3);
    const w = s.openWrite("w/obj");
    for (let at = 0; at < whole.length; at += 2 ** 20) await w.write(whole.slice(at, at + 2 ** 20));
    assert.equal(text(await s.get("w/obj")), "old");
    assert.deepEqual((await s.list("w/")).map((o) => o.key), ["w/obj"]);
    await w.commit();
    assert.deepEqual(await s.get("w/obj"), whole);
    assert.equal((await s.head("w/obj"))?.size, whole.length);
  });

  test("openWrite() then abort() leaves the previous version and nothing else", async (s) => {
    await s.put("w/obj", "old");
    const w = s.openWrite("w/obj");
    await w.write(pattern(9 * 2 ** 20, 1));
    await w.abort();
    await w.abort();
    await s.openWrite("w/never").abort();
    assert.equal(text(await s.get("w/obj")), "old");
    assert.deepEqual((await s.list("")).map((o) => o.key), ["w/obj"]);
  });

  test("openRead() serves ranges of the version it opened, or refuses", async (s, f) => {
    assert.equal(await s.openRead("r/missing"), undefined);
    const first = pattern(10 * 2 ** 20, 5);
    await s.put("r/obj", first);
    const r = (await s.openRead("r/obj"))!;
    try {
      assert.equal(r.size, first.length);
      const at = 8 * 2 ** 20 - 100; // across a block boundary, if the adapter reads in blocks
      assert.deepEqual(await r.read(at, at + 300), first.subarray(at, at + 300));
      assert.deepEqual(await r.read(first.length - 8, first.length + 50), first.subarray(-8));
      const [a, b] = await Promise.all([r.read(10, 20), r.read(5_000_000, 5_000_100)]);
      assert.deepEqual([a, b], [first.subarray(10, 20), first.subarray(5_000_000, 5_000_100)]);
    } finally {
      await r.close();
    }
    // Opened, then replaced before the first read.
    const pinned = (await s.openRead("r/obj"))!;
    try {
      await s.put("r/obj", pattern(first.length, 9));
      const later = pinned.read(2 ** 20, 2 ** 20 + 64);
      if (f.replacedWhileReading === "refuses") await assert.rejects(later, /changed while being read/);
      else assert.deepEqual(await later, first.subarray(2 ** 20, 2 ** 20 + 64));
    } finally {
      await pinned.close();
    }
  });

  const LOCK = "state/locks/test.lock";
  /** Who the taker was told holds the lock; fails if the lock was taken without waiting. */
  const firstOf = (told: Promise<LockHolder | undefined>, taking: Promise<unknown>) =>
    Promise.race([told, taking.then(() => assert.fail("taken while another held it"))]);

  test("lock(): a second taker waits for the first to release, told who holds it", async (s, f) => {
    const first = await s.lock(LOCK, holder("first"), { ttlMs: 1000 });
    assert.equal(first.exclusive, f.exclusiveLocks);
    const told = Promise.withResolvers<LockHolder | undefined>();
    let taken = false;
    const second = s.lock(LOCK, holder("second"), { waiting: told.resolve, ttlMs: 3000 })
      .then((l) => (taken = true, l));
    assert.equal((await firstOf(told.promise, second))?.job, "first");
    await new Promise((r) => setTimeout(r, 1500)); // longer than the lease: only renewals keep it held
    assert.equal(taken, false);
    const seen = await s.inspectLock(LOCK);
    assert.deepEqual([seen?.state, seen?.holder?.job], ["held", "first"]);
    // The kernel lists the second taker as waiting; an S3 lease cannot know who polls it.
    assert.equal(seen?.waiting, s.url.startsWith("file:") ? 1 : undefined);
    await first.release();
    await (await second).release();
    await (await s.lock(LOCK, holder("third"), { waiting: () => assert.fail("released, yet held") })).release();
    const released = await s.inspectLock(LOCK);
    assert.ok(released === undefined || (released.state === "free" && !released.holder), JSON.stringify(released));
  });

  test("lock() with maxWaitMs: gives up naming the holder, and takes a lock freed in time", async (s) => {
    const first = await s.lock(LOCK, holder("first"), { ttlMs: 5000 });
    // Should the limit be ignored, the takers below end up with the lock, and the test fails rather than hangs.
    const safety = setTimeout(() => first.release(), 20_000);
    const namesFirst = (e: unknown) =>
      e instanceof LockWaitTimeoutError && e.holder?.job === "first" && /first/.test(e.message);
    await assert.rejects(
      s.lock(LOCK, holder("prompt"), { maxWaitMs: 0, waiting: () => assert.fail("told") }),
      namesFirst,
    );
    let told: LockHolder | undefined;
    await assert.rejects(s.lock(LOCK, holder("brief"), { maxWaitMs: 400, waiting: (h) => told = h }), namesFirst);
    assert.equal(told?.job, "first", "told whom it waited for before giving up");
    const patient = s.lock(LOCK, holder("patient"), { maxWaitMs: 60_000 });
    await new Promise((r) => setTimeout(r, 300));
    await first.release();
    await (await patient).release();
    await (await s.lock(LOCK, holder("free"), { maxWaitMs: 0 })).release();
    clearTimeout(safety);
  });

  test("inspectLock(): held by a process, then free once it is killed, naming it as the last holder", async (s, f) => {
    assert.equal(await s.inspectLock(LOCK), undefined);
    const child = await holdLockInChild(LOCK, 1500, f.env);
    const held = await s.inspectLock(LOCK);
    assert.deepEqual([held?.state, held?.holder?.pid], ["held", child.pid]);
    await child.kill();
    // At once on disk; on S3 once the lease (1.5 s) runs out.
    let seen = await s.inspectLock(LOCK);
    for (let tries = 0; seen?.state === "held" && tries < 100; tries++) {
      await new Promise((r) => setTimeout(r, 100));
      seen = await s.inspectLock(LOCK);
    }
    assert.deepEqual([seen?.state, seen?.holder?.pid], ["free", child.pid]);
  });

  test("lock(): a holder killed with SIGKILL leaves the lock free", async (s, f) => {
    const child = await holdLockInChild(LOCK, 1500, f.env);
    const told = Promise.withResolvers<LockHolder | undefined>();
    const taking = s.lock(LOCK, holder("after"), { waiting: told.resolve });
    assert.equal((await firstOf(told.promise, taking))?.pid, child.pid);
    await child.kill();
    await (await taking).release();
  });

  test("openWrite() and openRead() refuse hostile keys", async (s) => {
    for (const bad of ["../x", "/abs", "a//b", ".hidden"]) {
      assert.throws(() => s.openWrite(bad), TypeError, bad);
      await assert.rejects(s.openRead(bad), TypeError, bad);
    }
  });
}
