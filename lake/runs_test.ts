import assert from "node:assert/strict";
import { join } from "node:path";
import { layout } from "./layout.ts";
import { openCheckpoint, RunUnderWayError } from "./runs.ts";
import { createLocalStore } from "./store_local.ts";

Deno.test("openCheckpoint() resumes the same parameters, starts others afresh, and drops week-old leftovers", async () => {
  const root = await Deno.makeTempDir();
  const store = createLocalStore(root);
  const now = new Date();
  const open = (from: string) =>
    openCheckpoint(store, "ingest_minute", { from }, () => ({ started_at: now.toISOString(), from }), now);
  // Each run is ended (disposed) before the same one opens again.
  const ended = async (from: string) => {
    await using run = await open(from);
    return run;
  };

  const first = await ended("2024-01-02");
  assert.equal(first.resumed, false);
  const again = await ended("2024-01-02");
  assert.deepEqual([again.resumed, again.key, again.checkpoint], [true, first.key, first.checkpoint]);

  // A leftover of another run, last touched eight days ago, and one touched yesterday.
  const old = await ended("2023-01-02"), recent = await ended("2023-06-01");
  const age = (key: string, days: number) => {
    const t = new Date(now.getTime() - days * 86_400_000);
    return Deno.utime(join(root, key), t, t);
  };
  await age(old.key, 8);
  await age(recent.key, 1);
  await age(first.key, 30); // the checkpoint being opened is never dropped, however old
  await ended("2024-01-02");
  const left = (await store.list(layout.checkpointPrefix("ingest_minute"))).map((o) => o.key).sort();
  assert.deepEqual(left, [first.key, recent.key].sort());
  assert.deepEqual(await store.list(layout.locksRoot), [], "an ended run leaves no lock behind");
});

Deno.test("openCheckpoint() refuses the same run while it is open, naming its holder, and not another one", async () => {
  const store = createLocalStore(await Deno.makeTempDir());
  const now = new Date();
  const open = (from: string) => openCheckpoint(store, "ingest_daily", { from }, () => ({ from }), now);
  {
    await using _ = await open("2024-01-02");
    await assert.rejects(open("2024-01-02"), (e) => {
      assert.ok(e instanceof RunUnderWayError);
      assert.match(e.message, new RegExp(`the same run is under way \\(pid ${Deno.pid} on `));
      return true;
    });
    await using other = await open("2024-02-01");
    assert.equal(other.resumed, false);
  }
  await using later = await open("2024-01-02");
  assert.equal(later.resumed, true, "once the first ended, the same run opens (and resumes it)");
});
