import assert from "node:assert/strict";
import { createS3Store } from "../lake/store_s3.ts";
import { lockHolder, LockLostError } from "../lake/store.ts";
import { defineStoreContract } from "../lake/store_contract.ts";
import { startS3rver } from "./support/s3rver.ts";
import { loadConfig } from "../config.ts";

/** An S3 store on a fresh s3rver, its lake under `prefix`; `close()` stops both. */
async function s3rverStore(prefix: string) {
  const s3 = await startS3rver();
  const env = s3.env(prefix);
  const loc = loadConfig(env).lake;
  if (loc.kind !== "s3") throw new Error("expected an S3 location");
  const store = createS3Store(loc);
  return {
    store,
    env,
    loc,
    async close() {
      store.client.destroy();
      await s3.close();
    },
  };
}

defineStoreContract(
  "S3 store on s3rver",
  async () => {
    const { store, env, close } = await s3rverStore("lake/v1");
    return {
      store,
      replacedWhileReading: "refuses",
      env,
      // s3rver ignores If-None-Match on PUT; AWS S3 applies it.
      exclusiveLocks: false,
      close,
    };
  },
  {},
  {
    // Each put is one PUT, which S3 applies whole; s3rver, the stand-in, writes the object file in
    // place, so concurrent PUTs to one key can interleave there (seen once in a full test run).
    "concurrent puts to one key leave one whole version": "s3rver writes objects in place; S3 replaces them atomically",
  },
);

Deno.test("S3 store: keys live under the lake prefix and the URL names bucket and prefix only", async () => {
  const { store, loc, close } = await s3rverStore("team/lake");
  try {
    await store.put("curated/x.parquet", "x");
    const other = createS3Store({ ...loc, prefix: "" }, store.client);
    assert.deepEqual((await other.list("")).map((o) => o.key), ["team/lake/curated/x.parquet"]);
    assert.equal(store.url, "s3://ticklake-test/team/lake");
    assert.ok(!store.url.includes("S3RVER"));
  } finally {
    await close();
  }
});

Deno.test("S3 store: a damaged lease object counts as expired, and the lock is taken over it", async () => {
  const { store, close } = await s3rverStore("lake");
  try {
    for (const damaged of ["{not json", JSON.stringify({ job: "x", expires_at: "2999-01-01T00:00:00Z" })]) {
      await store.put("state/locks/t.lock", damaged);
      const lock = await store.lock("state/locks/t.lock", lockHolder("test"), { waiting: () => assert.fail("waited") });
      assert.equal(JSON.parse(new TextDecoder().decode(await store.get("state/locks/t.lock"))).job, "test");
      await lock.release();
      assert.equal(await store.get("state/locks/t.lock"), undefined);
    }
  } finally {
    await close();
  }
});

Deno.test("S3 store: a lease that ran out while its holder stalled refuses writes under what it guards", async () => {
  const { store, close } = await s3rverStore("lake");
  try {
    const lock = await store.lock("state/locks/t.lock", lockHolder("test"), { ttlMs: 300, guards: ["curated/t/"] });
    await store.put("curated/t/before", "1");
    assert.equal(lock.lost(), undefined);
    // A stall three leases long (a blocked event loop, a paused VM): no renewal could run.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 900);
    assert.match(lock.lost() ?? "", /lease ran out/);
    await assert.rejects(store.put("curated/t/x", "2"), LockLostError);
    const writer = store.openWrite("curated/t/y");
    await writer.write(new TextEncoder().encode("3"));
    await assert.rejects(writer.commit(), LockLostError);
    await writer.abort();
    assert.equal(await store.head("curated/t/y"), undefined);
    await store.put("raw/t/z", "4"); // not guarded
    await lock.release();
    await store.put("curated/t/x", "5"); // no lock held, nothing to lose
    assert.equal(new TextDecoder().decode(await store.get("curated/t/x")), "5");
  } finally {
    await close();
  }
});
