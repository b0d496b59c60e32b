/**
 * Bundle the browser app (web/client/main.ts) with esbuild, in memory, once per process.
 * DuckDB-WASM's own wasm and worker files are served separately from our origin.
 * @module
 */
import * as esbuild from "esbuild";

let bundle: Promise<{ js: Uint8Array; css: Uint8Array }> | undefined;

/** The app bundle, built on first use. */
export function appBundle(): Promise<{ js: Uint8Array; css: Uint8Array }> {
  return bundle ??= build();
}

async function build() {
  const entry = new URL("./client/main.ts", import.meta.url).pathname;
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    write: false,
    outdir: "/out",
    logLevel: "error",
    absWorkingDir: new URL("..", import.meta.url).pathname,
  });
  await esbuild.stop();
  const js = result.outputFiles.find((f) => f.path.endsWith(".js"))!.contents;
  const css = result.outputFiles.find((f) => f.path.endsWith(".css"))?.contents ?? new Uint8Array();
  return { js, css };
}
