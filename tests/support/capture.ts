/**
 * Run a CLI command and keep what it printed on stdout (console.log, or written to Deno.stdout)
 * and stderr (console.error), with its exit code.
 * @module
 */
export async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const [out, err]: string[][] = [[], []];
  let written = "";
  const { log, error } = console;
  const stdout = Deno.stdout as { write(b: Uint8Array): Promise<number> };
  const write = stdout.write;
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  stdout.write = (b) => (written += new TextDecoder().decode(b), Promise.resolve(b.length));
  try {
    return { code: await fn(), out: out.join("\n") + written, err: err.join("\n") };
  } finally {
    Object.assign(console, { log, error });
    stdout.write = write;
  }
}
