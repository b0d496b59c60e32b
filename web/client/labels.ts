/**
 * Which points of a scatter get a text label: greedily, in the caller's order of importance, each
 * label placed above its point unless it would cover a label already placed or leave the chart.
 * Observable Plot draws every label it is given, overlapping or not.
 * @module
 */

/** A point in pixels, its radius, and its label. */
export interface LabelPoint {
  x: number;
  y: number;
  r: number;
  text: string;
}

export interface LabelLayout {
  /** The chart's size in pixels: labels stay inside it. */
  width: number;
  height: number;
  /** Approximate pixels per character and per line at the labels' font size. */
  charWidth?: number;
  lineHeight?: number;
  /** Labels at most; the rest are left to the tooltip. */
  max?: number;
}

/**
 * The indices of `points` (most important first) whose labels fit.
 *
 * @example Of two points at one spot, the first keeps its label
 * ```ts
 * import { labelsThatFit } from "./labels.ts";
 * const at = { x: 50, y: 50, r: 3 };
 * const shown = labelsThatFit([{ ...at, text: "MSFT" }, { ...at, text: "JPM" }], { width: 100, height: 100 });
 * if (shown.join() !== "0") throw new Error(shown.join());
 * ```
 */
export function labelsThatFit(
  points: LabelPoint[],
  { width, height, charWidth = 6, lineHeight = 12, max = 40 }: LabelLayout,
): number[] {
  const placed: { left: number; right: number; top: number; bottom: number }[] = [];
  const shown: number[] = [];
  for (let i = 0; i < points.length && shown.length < max; i++) {
    const p = points[i];
    const half = (p.text.length * charWidth) / 2;
    const box = { left: p.x - half, right: p.x + half, bottom: p.y - p.r - 2, top: p.y - p.r - 2 - lineHeight };
    if (![p.x, p.y, p.r].every(Number.isFinite)) continue;
    if (box.left < 0 || box.right > width || box.top < 0 || box.bottom > height) continue;
    const clashes = placed.some((b) =>
      box.left < b.right && b.left < box.right && box.top < b.bottom && b.top < box.bottom
    );
    if (clashes) continue;
    placed.push(box);
    shown.push(i);
  }
  return shown;
}
