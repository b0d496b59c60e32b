/**
 * Replay routes that serve recorded files verbatim: the Nasdaq Trader symbol directory, SEC's
 * company_tickers.json, and SEC's XBRL company facts of the one company recorded.
 * @module
 */
import type { Hono } from "hono";

const FILES: Record<string, { file: string; type: string }> = {
  "/dynamic/SymDir/nasdaqlisted.txt": { file: "nasdaqtrader/nasdaqlisted_2025-07-21.txt", type: "text/plain" },
  "/dynamic/SymDir/otherlisted.txt": { file: "nasdaqtrader/otherlisted_2025-07-21.txt", type: "text/plain" },
  "/files/company_tickers.json": { file: "sec/company_tickers.json", type: "application/json" },
};

/** Murphy Oil (MUR): the recording the SEC client is tested on. */
const RECORDED_FACTS = {
  path: "CIK0000717423.json",
  file: new URL("../sources/sec/testdata/companyfacts_CIK0000717423.json", import.meta.url),
};

export function staticFileRoutes() {
  return (app: Hono) => {
    // Any other CIK is a 404, as SEC answers for a company with no XBRL facts.
    app.get(
      "/api/xbrl/companyfacts/:file",
      async (c) =>
        c.req.param("file") === RECORDED_FACTS.path
          ? c.body(await Deno.readFile(RECORDED_FACTS.file), 200, { "content-type": "application/json" })
          : c.text("NoSuchKey: The specified key does not exist.", 404),
    );
    for (const [path, { file, type }] of Object.entries(FILES)) {
      app.get(
        path,
        async (c) =>
          c.body(await Deno.readFile(new URL(`./recordings/${file}`, import.meta.url)), 200, { "content-type": type }),
      );
    }
  };
}
