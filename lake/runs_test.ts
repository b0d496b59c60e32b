import assert from "node:assert/strict";
import { join } from "node:path";
import { layout } from "./layout.ts";
import { openCheckpoint } from "./runs.ts";
import { createLocalStore } from "./store_local.ts";

Deno.test("openCheckpoint() resumes the same parameters, starts others afresh, and drops week-old leftovers", async () => {
  const root = await Deno.makeTempDir();
  const store = createLocalStore(root);
  const now = new Date();
  const open = (from: string) =>
    openCheckpoint(store, "ingest_minute", { from }, () => ({ started_at: now.toISOString(), from }), now);

  const first = await open("2024-01-02");
  assert.equal(first.resumed, false);
  const again = await open("2024-01-02");
  assert.deepEqual([again.resumed, again.key, again.checkpoint], [true, first.key, first.checkpoint]);

  // A leftover of another run, last touched eight days ago, and one touched yesterday.
  const old = await open("2023-01-02"), recent = await open("2023-06-01");
  const age = (key: string, days: number) => {
    const t = new Date(now.getTime() - days * 86_400_000);
    return Deno.utime(join(root, key), t, t);
  };
  await age(old.key, 8);
  await age(recent.key, 1);
  await age(first.key, 30); // the checkpoint being opened is never dropped, however old
  await open("2024-01-02");
  const left = (await store.list(layout.checkpointPrefix("ingest_minute"))).map((o) => o.key).sort();
  assert.deepEqual(left, [first.key, recent.key].sort());
});
