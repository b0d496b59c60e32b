/** Resume tests' first half: a CLI run killed with SIGKILL part-way. */
import assert from "node:assert/strict";

/**
 * Run `main.ts <args>` in a child process and SIGKILL it once `ready()` holds (checked every
 * 10 ms, for 30 s at most). Fails unless the kill, not the run's end, stopped it.
 */
export async function killMainWhen(args: string[], env: Record<string, string>, ready: () => Promise<boolean>) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../main.ts", import.meta.url).pathname, ...args],
    env,
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0; i < 3000 && !(await ready()); i++) await new Promise((r) => setTimeout(r, 10));
  child.kill("SIGKILL");
  const status = await child.status;
  assert.equal(status.signal, "SIGKILL", "the child must be killed mid-run for this test to mean anything");
}
