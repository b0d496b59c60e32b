/**
 * What the bench ran on, saved beside its figures: absolute figures move with the machine. The
 * cost of touching fresh memory matters most: 11 to 13 µs a page on the VMs of 2026-12 (a page
 * fault on bare metal takes well under 1 µs), and every job that allocates pays it.
 * @module
 */

/**
 * Microseconds to touch one fresh page: a new 64 MiB buffer written one byte a page, the median
 * of three, in a new process (a process that has freed memory reuses it, already touched).
 */
async function freshPageMicros(): Promise<number> {
  const probe = `const micros = [0, 1, 2].map(() => {
      const buf = new Uint8Array(64 * 2 ** 20), t = performance.now();
      for (let i = 0; i < buf.length; i += 4096) buf[i] = 1;
      return ((performance.now() - t) * 1000) / (buf.length / 4096);
    }).sort((a, b) => a - b);
    console.log(micros[1]);`;
  const out = await new Deno.Command(Deno.execPath(), { args: ["eval", probe], stdout: "piped" }).output();
  return Number(Number(new TextDecoder().decode(out.stdout)).toFixed(2));
}

export async function machineFacts() {
  return {
    cores: navigator.hardwareConcurrency,
    memory_gib: Number((Deno.systemMemoryInfo().total / 2 ** 30).toFixed(1)),
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    deno: Deno.version.deno,
    fresh_page_us: await freshPageMicros(),
  };
}
