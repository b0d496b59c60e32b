/**
 * Run a CLI command and keep what it printed on stdout (console.log) and stderr (console.error),
 * with its exit code.
 * @module
 */
export async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const [out, err]: string[][] = [[], []];
  const { log, error } = console;
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  try {
    return { code: await fn(), out: out.join("\n"), err: err.join("\n") };
  } finally {
    Object.assign(console, { log, error });
  }
}
