/**
 * A lock holder in a child process, for tests that kill it: run as a script, it takes a lock in
 * the lake the environment names, prints `locked` and holds it until killed.
 * Usage: deno run -A tests/support/hold_lock.ts <key> <ttl ms>
 * @module
 */
import { loadConfig } from "../../config.ts";
import { openStore } from "../../lake/open_store.ts";
import { lockHolder } from "../../lake/store.ts";

/** A child holding the lock `key` in the lake `env` names, once it holds it; `kill()` is SIGKILL, idempotent. */
export async function holdLockInChild(
  key: string,
  ttlMs: number,
  env: Record<string, string>,
): Promise<{ pid: number; kill(): Promise<void> }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, key, String(ttlMs)],
    env,
    stdout: "piped",
  }).spawn();
  const said = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let killed: Promise<void> | undefined;
  const kill = () =>
    killed ??= (async () => {
      child.kill("SIGKILL");
      await child.status;
      await said.cancel();
    })();
  const first = (await said.read()).value?.trim();
  if (first !== "locked") {
    await kill();
    throw new Error(`Cannot hold ${key} in a child: it said '${first}'`);
  }
  return { pid: child.pid, kill };
}

if (import.meta.main) {
  const [key, ttl] = Deno.args;
  const store = openStore(loadConfig().lake);
  await store.lock(key, lockHolder("holder"), { ttlMs: Number(ttl) });
  console.log("locked");
  setInterval(() => {}, 2 ** 30); // held until killed
}
