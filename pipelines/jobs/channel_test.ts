import assert from "node:assert/strict";
import { channel } from "./channel.ts";

const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("channel(): a push resolves only once the consumer has taken its item; items arrive in order until close", async () => {
  const ch = channel<number>();
  const resolved = [false, false, false];
  [1, 2, 3].forEach((n, i) => ch.push(n).then(() => resolved[i] = true));
  await tick();
  assert.deepEqual(resolved, [false, false, false], "nothing taken yet");
  const it = ch[Symbol.asyncIterator]();
  assert.deepEqual(await it.next(), { value: 1, done: false });
  await tick();
  assert.deepEqual(resolved, [true, false, false], "only the taken item's push resolved");
  ch.close();
  assert.deepEqual(
    [(await it.next()).value, (await it.next()).value],
    [2, 3],
    "items pushed before close still arrive",
  );
  assert.equal((await it.next()).done, true);
  await tick();
  assert.deepEqual(resolved, [true, true, true]);
  await assert.rejects(ch.push(4), /closed/);
});

Deno.test("channel(): fail() rejects the waiting push and ends the consumer with the error", async () => {
  const ch = channel<number>();
  const waiting = ch.push(1);
  ch.fail(new Error("disk full"));
  await assert.rejects(waiting, /disk full/);
  await assert.rejects(ch.push(2), /disk full/);
  await assert.rejects(
    (async () => {
      for await (const _ of ch) { /* nothing arrives */ }
    })(),
    /disk full/,
  );
});
