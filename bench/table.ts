/**
 * Benchmark results: each figure next to its baseline from the same run, the ratio, and the
 * target it is held to. Printed as a table and written as JSON.
 * @module
 */

export interface Figure {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  /** value/baseline (or value/limit when there is no baseline). */
  ratio?: number;
  target?: string;
  pass?: boolean;
}

export function printTable(figures: Figure[]): string {
  const rows = figures.map((f) => [
    f.name,
    `${fmt(f.value)} ${f.unit}`,
    f.baseline ? `${f.baseline.name}: ${fmt(f.baseline.value)} ${f.unit}` : "",
    f.ratio === undefined ? "" : `${f.ratio.toFixed(2)}x`,
    f.target ?? "",
    f.pass === undefined ? "" : f.pass ? "PASS" : "MISS",
  ]);
  const head = ["figure", "value", "baseline (same run)", "ratio", "target", ""];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

function fmt(v: number): string {
  return Math.abs(v) >= 1000 ? Math.round(v).toLocaleString("en-US") : Number(v.toPrecision(4)).toString();
}

/** Median of a few timed runs, in milliseconds. */
export async function medianMs(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
