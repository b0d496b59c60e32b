/**
 * The replay server's SEC XBRL company facts (`/api/xbrl/companyfacts/CIK##########.json`): the
 * recorded reply for Murphy Oil, simulated facts for any other company in SEC's ticker file, and
 * a 404 for a CIK SEC does not list, as SEC answers.
 * @module
 */
import type { Hono } from "hono";
import { simulatedCompanyFacts } from "./facts_sim.ts";

/** Murphy Oil (MUR): the recording the SEC client is tested on. */
const RECORDED = {
  cik: 717423,
  file: new URL("../sources/sec/testdata/companyfacts_CIK0000717423.json", import.meta.url),
};

let titles: Promise<Map<number, string>> | undefined;
/** Company names by CIK, from the recorded company_tickers.json. */
function companyTitles(): Promise<Map<number, string>> {
  return titles ??= Deno.readTextFile(new URL("./recordings/sec/company_tickers.json", import.meta.url)).then((text) =>
    new Map(
      Object.values(JSON.parse(text) as Record<string, { cik_str: number; title: string }>)
        .map((c) => [c.cik_str, c.title]),
    )
  );
}

export function secRoutes({ now = () => new Date() }: { now?: () => Date } = {}) {
  return (app: Hono) => {
    app.get("/api/xbrl/companyfacts/:file", async (c) => {
      const cik = Number(/^CIK(\d{10})\.json$/.exec(c.req.param("file"))?.[1]);
      if (cik === RECORDED.cik) {
        return c.body(await Deno.readFile(RECORDED.file), 200, { "content-type": "application/json" });
      }
      const name = (await companyTitles()).get(cik);
      if (!name) return c.text("NoSuchKey: The specified key does not exist.", 404);
      return c.json(simulatedCompanyFacts(cik, name, now()));
    });
  };
}
