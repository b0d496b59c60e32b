import assert from "node:assert/strict";
import { labelsThatFit } from "./labels.ts";

const chart = { width: 400, height: 300 };

Deno.test("labelsThatFit() keeps the more important of two clashing labels and every label that is clear", () => {
  const points = [
    { x: 100, y: 100, r: 10, text: "MSFT" },
    { x: 104, y: 98, r: 2, text: "JPM" }, // its label would cover MSFT's
    { x: 200, y: 100, r: 4, text: "AAPL" }, // clear of both
    { x: 100, y: 140, r: 3, text: "PG" }, // below MSFT's dot: its label sits under MSFT's
  ];
  assert.deepEqual(labelsThatFit(points, chart), [0, 2, 3]);
  // In the other order, JPM keeps its label and MSFT loses it.
  assert.deepEqual(labelsThatFit([points[1], points[0]], chart), [0]);
});

Deno.test("labelsThatFit() leaves out labels that would cross the chart's edge, points off the scale, and beyond max", () => {
  const points = [
    { x: 100, y: 8, r: 4, text: "JNJ" }, // above the top
    { x: 2, y: 100, r: 4, text: "BRK.B" }, // past the left edge
    { x: Number.NaN, y: 100, r: 4, text: "NEW" }, // a value still warming up
    ...Array.from(
      { length: 50 },
      (_, k) => ({ x: 20 + (k % 10) * 38, y: 40 + Math.floor(k / 10) * 50, r: 2, text: "XY" }),
    ),
  ];
  const shown = labelsThatFit(points, { ...chart, max: 12 });
  assert.deepEqual(shown, Array.from({ length: 12 }, (_, k) => 3 + k));
});
