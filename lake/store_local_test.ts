import assert from "node:assert/strict";
import { join } from "node:path";
import { defineStoreContract } from "./store_contract.ts";
import { createLocalStore } from "./store_local.ts";
import { inspectLockFile } from "./lock_local.ts";
import { lockHolder, LockWaitTimeoutError } from "./store.ts";
import { holdLockInChild } from "../tests/support/hold_lock.ts";

defineStoreContract("local store", async () => {
  const root = await Deno.makeTempDir();
  return {
    store: createLocalStore(root),
    close: () => Deno.remove(root, { recursive: true }),
    replacedWhileReading: "serves the old version",
    env: { TICKLAKE_LAKE: root },
    exclusiveLocks: true,
  };
});

Deno.test("local store: a writer killed mid-write leaves the previous object whole and no visible temp file", async () => {
  const root = await Deno.makeTempDir();
  const store = createLocalStore(root);
  await store.put("obj", "old complete version");
  // A child that writes 400 MB to the same key, killed while writing.
  const code = `import { createLocalStore } from ${JSON.stringify(new URL("./store_local.ts", import.meta.url).href)};
    console.log("start");
    await createLocalStore(${JSON.stringify(root)}).put("obj", new Uint8Array(400 * 2 ** 20).fill(7));`;
  const child = new Deno.Command(Deno.execPath(), { args: ["eval", code], stdout: "piped", stderr: "null" }).spawn();
  const reader = child.stdout.getReader();
  await reader.read();
  // Wait until the temp file exists and is growing, then kill.
  for (let i = 0; i < 500; i++) {
    const names = [...Deno.readDirSync(root)].map((e) => e.name);
    if (names.some((n) => n.includes(".tmp-"))) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill("SIGKILL");
  await child.status;
  reader.releaseLock();
  await child.stdout.cancel();
  assert.equal(new TextDecoder().decode(await store.get("obj")), "old complete version");
  assert.deepEqual((await store.list("")).map((o) => o.key), ["obj"]);
  const leftovers = [...Deno.readDirSync(root)].map((e) => e.name).filter((n) => n.includes(".tmp-"));
  assert.ok(leftovers.length <= 1, "at most the killed writer's own temp file remains, invisible to readers");
  await Deno.remove(join(root), { recursive: true });
});

Deno.test("inspectLockFile() without a kernel lock table (off Linux) tells held from free by trying the lock", async () => {
  const root = await Deno.makeTempDir();
  const store = createLocalStore(root);
  const key = "state/locks/daily_bars.lock", path = store.pathOf(key);
  const offLinux = join(root, "no-lock-table");
  const child = await holdLockInChild(key, 0, { TICKLAKE_LAKE: root });
  try {
    const held = await inspectLockFile(path, offLinux);
    assert.deepEqual([held?.state, held?.holder?.pid, held?.waiting], ["held", child.pid, undefined]);
    await child.kill();
    const left = await inspectLockFile(path, offLinux);
    assert.deepEqual([left?.state, left?.holder?.pid], ["free", child.pid], "a killed holder's name stays");
    // Looking took the lock for an instant only.
    await (await store.lock(key, lockHolder("after"), { maxWaitMs: 0 })).release();
    assert.deepEqual(await inspectLockFile(path, offLinux), { state: "free", holder: undefined });
  } finally {
    await child.kill();
  }
});

Deno.test("local store: its lock-wait limit applies where a taker names none, and Infinity lifts it", async () => {
  const root = await Deno.makeTempDir();
  const store = createLocalStore(root, { lockWaitMs: 0 });
  const key = "state/locks/t.lock";
  const first = await store.lock(key, lockHolder("first"));
  await assert.rejects(store.lock(key, lockHolder("limited")), LockWaitTimeoutError);
  let taken = false;
  const patient = store.lock(key, lockHolder("patient"), { maxWaitMs: Infinity }).then((l) => (taken = true, l));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(taken, false, "it waits while the lock is held");
  await first.release();
  await (await patient).release();
});
