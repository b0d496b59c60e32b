/**
 * What the bench ran on, saved beside its figures: absolute figures move with the machine. The
 * cost of touching fresh memory matters most: 11 to 13 µs a page on the VMs of 2026-12 (a page
 * fault on bare metal takes well under 1 µs), and every job that allocates pays it.
 * @module
 */
const PAGE = 4096;

/** Microseconds to touch one fresh page: a new 64 MiB buffer written one byte a page. */
function freshPageMicros(): number {
  const bytes = 64 * 2 ** 20;
  const buf = new Uint8Array(new ArrayBuffer(bytes));
  const t = performance.now();
  for (let i = 0; i < bytes; i += PAGE) buf[i] = 1;
  return ((performance.now() - t) * 1000) / (bytes / PAGE);
}

export function machineFacts() {
  return {
    cores: navigator.hardwareConcurrency,
    memory_gib: Number((Deno.systemMemoryInfo().total / 2 ** 30).toFixed(1)),
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    deno: Deno.version.deno,
    // The median of three fresh buffers.
    fresh_page_us: Number(
      [freshPageMicros(), freshPageMicros(), freshPageMicros()].sort((a, b) => a - b)[1].toFixed(2),
    ),
  };
}
