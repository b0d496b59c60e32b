/** Resume tests' first half: a CLI run killed with SIGKILL, or stopped with SIGINT, part-way. */
import assert from "node:assert/strict";

/**
 * Run `main.ts <args>` in a child process and send it `signal` once `ready()` holds (checked every
 * 10 ms, for 30 s at most); its exit status and what it printed.
 */
export async function signalMainWhen(
  args: string[],
  env: Record<string, string>,
  ready: () => Promise<boolean>,
  signal: Deno.Signal,
): Promise<{ status: Deno.CommandStatus; stdout: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../main.ts", import.meta.url).pathname, ...args],
    env,
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const stdout = new Response(child.stdout).text();
  for (let i = 0; i < 3000 && !(await ready()); i++) await new Promise((r) => setTimeout(r, 10));
  child.kill(signal);
  return { status: await child.status, stdout: await stdout };
}

/** {@linkcode signalMainWhen} with SIGKILL. Fails unless the kill, not the run's end, stopped it. */
export async function killMainWhen(args: string[], env: Record<string, string>, ready: () => Promise<boolean>) {
  const { status } = await signalMainWhen(args, env, ready, "SIGKILL");
  assert.equal(status.signal, "SIGKILL", "the child must be killed mid-run for this test to mean anything");
}
