/**
 * Replay routes that serve recorded files verbatim: the Nasdaq Trader symbol directory and SEC's
 * company_tickers.json.
 * @module
 */
import type { Hono } from "hono";

const FILES: Record<string, { file: string; type: string }> = {
  "/dynamic/SymDir/nasdaqlisted.txt": { file: "nasdaqtrader/nasdaqlisted_2025-07-21.txt", type: "text/plain" },
  "/dynamic/SymDir/otherlisted.txt": { file: "nasdaqtrader/otherlisted_2025-07-21.txt", type: "text/plain" },
  "/files/company_tickers.json": { file: "sec/company_tickers.json", type: "application/json" },
};

export function staticFileRoutes() {
  return (app: Hono) => {
    for (const [path, { file, type }] of Object.entries(FILES)) {
      app.get(
        path,
        async (c) =>
          c.body(await Deno.readFile(new URL(`./recordings/${file}`, import.meta.url)), 200, { "content-type": type }),
      );
    }
  };
}
