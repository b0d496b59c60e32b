/**
 * Executes the research notebooks headless with Jupyter's nbconvert and the Deno kernel, over a
 * lake built by the offline demo pipeline, and checks what they printed against the query API.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createWasmEngine } from "../lake/parquet/wasm_engine.ts";
import { openLake } from "../lake/query.ts";
import { runDemoPipeline } from "../pipelines/jobs/demo.ts";

const NOTEBOOK = new URL("../notebooks/daily_bars.ipynb", import.meta.url).pathname;

Deno.test("notebooks/daily_bars.ipynb runs in Jupyter and reports the lake's real counts", async () => {
  const root = await Deno.makeTempDir();
  const demo = await runDemoPipeline({
    env: { TICKLAKE_LAKE: root },
    engine: createWasmEngine(),
    symbols: ["AAPL", "MSFT"],
    from: "2024-01-02",
    now: () => new Date("2024-12-31T23:00:00Z"),
  });
  await demo.close();

  const outDir = await Deno.makeTempDir();
  const out = await new Deno.Command("jupyter", {
    args: [
      "nbconvert",
      "--to",
      "notebook",
      "--execute",
      "--ExecutePreprocessor.timeout=300",
      NOTEBOOK,
      "--output-dir",
      outDir,
    ],
    env: { TICKLAKE_LAKE: root },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr).slice(-3000));

  const nb = JSON.parse(await Deno.readTextFile(join(outDir, "daily_bars.ipynb")));
  // Printed text (streams) and displayed text alike.
  type Output = { text?: string[]; data?: Record<string, string[]> };
  const text = nb.cells.flatMap((c: { outputs?: Output[] }) => c.outputs ?? [])
    .flatMap((o: Output) => [...(o.text ?? []), ...(o.data?.["text/plain"] ?? [])]).join("");
  const lake = await openLake({ store: demo.store, cacheDir: await Deno.makeTempDir() });
  const [want] = await lake.sql<{ bars: number }>("SELECT count(*)::INT AS bars FROM daily_bars");
  lake.close();
  assert.ok(want.bars > 400, `demo lake has ${want.bars} bars`);
  assert.match(text, new RegExp(`"symbols":2,"bars":${want.bars}`));
  assert.match(text, /plotted \d+ bars/);
  const html = nb.cells.flatMap((c: { outputs?: { data?: Record<string, string[]> }[] }) => c.outputs ?? [])
    .map((o: { data?: Record<string, string[]> }) => (o.data?.["text/html"] ?? []).join("")).join("");
  assert.match(html, /<svg[^>]*>.*<path/s, "the chart renders as SVG with a line path");
});
