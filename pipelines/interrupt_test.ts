import assert from "node:assert/strict";
import { listenForStop, STOPPED, stoppedExit, unlessStopped } from "./interrupt.ts";
import type { Logger } from "./log.ts";

/** Signals reach a listener on a later turn of the event loop. */
async function until(done: () => boolean) {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(done(), "no signal arrived");
}

function recorder() {
  const events: string[] = [];
  const exits: number[] = [];
  const log: Logger = { info() {}, warn: (e) => void events.push(e), error() {} };
  return { events, exits, log, exit: (code: number) => void exits.push(code) };
}

// SIGTERM only: the test runner takes SIGINT for itself. The CLI's SIGINT is tested end to end
// (tests/ingest_e2e_test.ts).
Deno.test("listenForStop(): a first SIGTERM asks to stop with code 143, a second quits, and a disposed listener hears nothing", async () => {
  const r = recorder();
  const ours = () => {};
  {
    using stop = listenForStop(r.log, r.exit);
    assert.equal(stoppedExit(stop.signal), undefined);
    Deno.kill(Deno.pid, "SIGTERM");
    await until(() => stop.signal.aborted);
    assert.equal(stoppedExit(stop.signal), 143);
    assert.deepEqual(r.exits, []);
    Deno.kill(Deno.pid, "SIGTERM");
    await until(() => r.exits.length > 0);
    assert.deepEqual([r.events, r.exits], [["run.stopping", "run.quit"], [143]]);
    // Another listener keeps this process alive once the stop listener is gone.
    Deno.addSignalListener("SIGTERM", ours);
  }
  let heard = 0;
  const counting = () => void heard++;
  Deno.addSignalListener("SIGTERM", counting);
  try {
    Deno.kill(Deno.pid, "SIGTERM");
    await until(() => heard > 0);
    assert.deepEqual(r.exits, [143], "the disposed listener quit again");
  } finally {
    Deno.removeSignalListener("SIGTERM", counting);
    Deno.removeSignalListener("SIGTERM", ours);
  }
});

Deno.test("unlessStopped(): the work's result, or its failure; STOPPED once the signal aborts, without waiting", async () => {
  const stop = new AbortController();
  assert.equal(await unlessStopped(Promise.resolve(1), stop.signal), 1);
  await assert.rejects(unlessStopped(Promise.reject(new Error("down")), stop.signal), /down/);
  assert.equal(await unlessStopped(Promise.resolve(2)), 2, "without a signal, the work itself");
  const held = Promise.withResolvers<number>();
  const waiting = unlessStopped(held.promise, stop.signal);
  stop.abort();
  assert.equal(await waiting, STOPPED);
  held.reject(new Error("failed after the stop")); // nobody's: no unhandled rejection
  assert.equal(await unlessStopped(Promise.resolve(3), stop.signal), STOPPED, "already stopped");
});

Deno.test("unlessStopped() lets go of the signal once the work settles: a long run does not gather a listener a symbol", async () => {
  const listening = new Set<unknown>();
  const signal = {
    aborted: false,
    addEventListener: (_: string, f: unknown) => listening.add(f),
    removeEventListener: (_: string, f: unknown) => listening.delete(f),
  } as unknown as AbortSignal;
  for (let i = 0; i < 3; i++) await unlessStopped(Promise.resolve(i), signal);
  await unlessStopped(Promise.reject(new Error("x")), signal).catch(() => {});
  assert.equal(listening.size, 0);
});
