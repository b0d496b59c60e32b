/**
 * `main.ts <args>` in a process of its own, under `env` added to this one's (less `unset`). Tests that need the
 * environment set use this rather than set it here: `deno test --parallel` runs test files side
 * by side in one process, so a variable set by one would reach the others, and their children.
 * @module
 */
export async function runMain(
  args: string[],
  env: Record<string, string> = {},
  { unset = [] }: { unset?: string[] } = {},
): Promise<{ code: number; out: string; err: string }> {
  const kept = Object.entries(Deno.env.toObject()).filter(([k]) => !unset.includes(k));
  const done = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../main.ts", import.meta.url).pathname, ...args],
    clearEnv: true,
    env: { ...Object.fromEntries(kept), ...env, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b).trimEnd();
  return { code: done.code, out: text(done.stdout), err: text(done.stderr) };
}
