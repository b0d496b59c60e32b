import assert from "node:assert/strict";
import { layout } from "../../lake/layout.ts";
import type { ObjectStore } from "../../lake/store.ts";
import { createLocalStore } from "../../lake/store_local.ts";
import { createFakeClock, type FakeClock } from "./clock.ts";
import { sharedBucket, shareOf } from "./shared_rate.ts";

const SEC = { capacity: 1, perSecond: 10 };
const BEAT_MS = 1_000;

async function twoProcesses(store?: ObjectStore) {
  const root = await Deno.makeTempDir();
  store ??= createLocalStore(root);
  const clock = createFakeClock(0);
  const open = () => sharedBucket(SEC, { store: store!, provider: "sec", clock, beatMs: BEAT_MS });
  return { root, store, clock, a: open(), b: open() };
}

/** The presences stored for SEC, by what each says it sees. */
async function presences(store: ObjectStore) {
  const listed = await store.list(layout.pacersPrefix("sec"));
  return await Promise.all(listed.map(async (o) => JSON.parse(new TextDecoder().decode(await store.get(o.key)))));
}

/** Greedy callers on every bucket for `ms` of fake time; the grant times, per bucket. */
async function greedyEach(clock: FakeClock, buckets: { take(): Promise<void> }[], ms: number): Promise<number[][]> {
  const end = clock.now() + ms;
  return await clock.run(Promise.all(buckets.map(async (bucket) => {
    const grants: number[] = [];
    while (clock.now() < end) {
      await bucket.take();
      if (clock.now() < end) grants.push(clock.now());
    }
    return grants;
  })));
}

/** Greedy callers on every bucket for `ms` of fake time; the grant times of all. */
const greedy = async (clock: FakeClock, buckets: { take(): Promise<void> }[], ms: number) =>
  (await greedyEach(clock, buckets, ms)).flat().sort((x, y) => x - y);

const busiestSecond = (grants: number[]) =>
  Math.max(...grants.map((t) => grants.filter((g) => g >= t && g < t + 1000).length));

Deno.test("shareOf() splits a limit so that the shares together keep it", () => {
  assert.deepEqual(shareOf({ capacity: 10, perSecond: 191 / 60 }, 2), { capacity: 5, perSecond: 191 / 120 });
  assert.deepEqual(shareOf({ capacity: 1, perSecond: 10 }, 3), { capacity: 1, perSecond: 10 / 3 });
});

Deno.test("sharedBucket(): alone, a process calls at once at the whole limit, and leaving removes its presence", async () => {
  const { store, clock, a } = await twoProcesses();
  await clock.run(a.take());
  assert.equal(clock.now(), 0, "no wait to join when alone");
  assert.equal(a.shares, 1);
  assert.equal((await presences(store)).length, 1);
  assert.equal(busiestSecond(await greedy(clock, [a], 3000)), 10);
  await a.leave();
  assert.deepEqual(await presences(store), []);
});

Deno.test("sharedBucket(): a second process calls only once the first has slowed down, and together they keep the limit", async () => {
  const { store, clock, a, b } = await twoProcesses();
  await clock.run(a.take());
  const before = await greedy(clock, [a], 500);
  assert.ok(before.length >= 4);

  // B joins while A calls, greedy from its first call: its first grant waits until A's presence
  // names B, by which time A has slowed down.
  const [duringA, duringB] = await greedyEach(clock, [a, b], 3000);
  assert.ok(duringB.length > 0, "B admitted");
  assert.ok((await presences(store)).every((p) => p.sees.length === 2), "both presences name both");
  assert.deepEqual([a.shares, b.shares], [2, 2]);

  // Every grant, A's alone and both together, keeps the limit in any second; the pair still gets it.
  const together = await greedy(clock, [a, b], 5000);
  const all = [...before, ...duringA, ...duringB, ...together].sort((x, y) => x - y);
  assert.equal(busiestSecond(all), 10);
  assert.ok(together.length >= 45, `${together.length} grants in 5 s`);

  // B leaves: A takes the whole limit again at its next beat (real I/O: time moves in steps).
  await b.leave();
  for (let i = 0; i < 200 && a.shares > 1; i++) {
    await clock.run(a.take());
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(a.shares, 1);
  assert.equal(busiestSecond(await greedy(clock, [a], 3000)), 10);
  await a.leave();
});

Deno.test("sharedBucket(): a dead process's presence is counted until stale, then deleted", async () => {
  const { root, store, clock, a } = await twoProcesses();
  const dead = layout.pacer("sec", "dead-process");
  await store.put(dead, JSON.stringify({ id: "dead-process", pid: 1, host: "h", since: "", sees: ["dead-process"] }));
  const old = new Date(Date.now() - 60_000);
  await Deno.utime(`${root}/${dead}`, old, old);
  // Bounded in real time: were the dead presence waited for, the call would never come.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise((resolve) => timer = setTimeout(() => resolve("none"), 10_000));
  const first = await clock.run(Promise.race([a.take().then(() => "granted"), bound]));
  clearTimeout(timer);
  assert.deepEqual([first, clock.now()], ["granted", 0], "a stale presence need not admit anyone");
  assert.equal(a.shares, 1);
  assert.equal(await store.head(dead), undefined, "deleted");
  await a.leave();
});

Deno.test("sharedBucket(): a process idle for two beats leaves, and its next call joins again", async () => {
  const { store, clock, a } = await twoProcesses();
  await clock.run(a.take());
  await clock.advance(2 * BEAT_MS);
  assert.equal((await presences(store)).length, 1, "still there after two beats");
  // Beats and leaving are real I/O, which the fake clock does not wait for: time moves in steps.
  for (let i = 0; i < 200 && (await presences(store)).length; i++) {
    await clock.advance(BEAT_MS / 4);
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.deepEqual(await presences(store), [], "left when idle");
  await clock.run(a.take());
  assert.equal((await presences(store)).length, 1);
  await a.leave();
});

Deno.test("sharedBucket(): a store out of reach fails the calls waiting to join, with the store's error", async () => {
  const local = createLocalStore(await Deno.makeTempDir());
  let reachable = true;
  const flaky: ObjectStore = {
    ...local,
    list: (prefix) => reachable ? local.list(prefix) : Promise.reject(new Error("lake out of reach")),
  };
  // At the first call...
  reachable = false;
  const alone = await twoProcesses(flaky);
  await assert.rejects(alone.clock.run(alone.a.take()), /lake out of reach/);
  assert.deepEqual(await presences(local), [], "no presence left behind");

  // ... and while waiting to be admitted: B's first beat (real I/O) has counted A, whose next
  // beat, a second on, would admit B; the store fails before that.
  reachable = true;
  const { clock, a, b } = await twoProcesses(flaky);
  await clock.run(a.take());
  const waiting = b.take();
  for (let i = 0; i < 100 && b.shares < 2; i++) await new Promise((r) => setTimeout(r, 20));
  reachable = false;
  await assert.rejects(clock.run(waiting), /lake out of reach/);
  await a.leave();
});

Deno.test("sharedBucket(): leaving while a call waits to be admitted fails that call, and leaves no presence", async () => {
  const { store, clock, a, b } = await twoProcesses();
  await clock.run(a.take());
  const outcome = b.take().then(() => "granted", (e: Error) => e.message);
  for (let i = 0; i < 100 && b.shares < 2; i++) await new Promise((r) => setTimeout(r, 20));
  await b.leave();
  assert.match(await clock.run(outcome), /left its callers/);
  assert.equal((await presences(store)).length, 1, "only A's");
  await a.leave();
});
