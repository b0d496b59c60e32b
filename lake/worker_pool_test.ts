import assert from "node:assert/strict";
import { createWorkerPool } from "./worker_pool.ts";

const echo = new URL("./testdata/echo_worker.ts", import.meta.url);

Deno.test("createWorkerPool() runs more tasks than workers, returns each task's own result, and passes errors on", async () => {
  const pool = createWorkerPool<{ n: number } | { fail: string }, number>(echo, 2);
  try {
    const results = await Promise.all(Array.from({ length: 9 }, (_, n) => pool.run({ n })));
    assert.deepEqual(results, [0, 2, 4, 6, 8, 10, 12, 14, 16]);
    await assert.rejects(pool.run({ fail: "bad input" }), /bad input/);
    assert.equal(await pool.run({ n: 21 }), 42, "a worker that threw still serves");
  } finally {
    pool.close();
  }
  await assert.rejects(pool.run({ n: 1 }), /closed/);
});

Deno.test("createWorkerPool() moves transferred buffers instead of copying them", async () => {
  const pool = createWorkerPool<{ bytes: Uint8Array }, number>(echo, 1);
  try {
    const bytes = new Uint8Array([1, 2, 3]);
    assert.equal(await pool.run({ bytes }, [bytes.buffer]), 6);
    assert.equal(bytes.byteLength, 0, "the sender's buffer is detached");
  } finally {
    pool.close();
  }
});
