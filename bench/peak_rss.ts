/**
 * This process's peak resident memory so far (Linux VmHWM): each bench child reports its own.
 * @module
 */
export function peakRssBytes(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024;
}
