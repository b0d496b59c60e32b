import assert from "node:assert/strict";
import { ProviderError, type RawResponse } from "../http.ts";
import { createEdgarClient, parseCompanyFacts, parseSubmissions } from "./edgar.ts";

const reply = async (file: string): Promise<RawResponse> => ({
  provider: "sec",
  url: "x",
  status: 200,
  contentType: "application/json",
  body: await Deno.readFile(new URL(`./testdata/${file}`, import.meta.url)),
  fetchedAt: new Date(0),
  requestId: "r",
  latencyMs: 0,
});

Deno.test("parseSubmissions() reads the parallel filing arrays; the string cik is padded", async () => {
  const s = parseSubmissions(await reply("submissions_CIK0000717423.json"));
  assert.equal(s.filings.length, 1005);
  assert.deepEqual(s.filings[1], {
    cik: "0000717423",
    accession_number: "0000950103-22-013995",
    filing_date: "2022-08-15",
    report_date: "2022-08-15",
    accepted_at: "2022-08-15T06:06:32.000Z",
    form: "8-K",
    primary_document: "dp178670_8k.htm",
  });
  assert.ok(s.filings.some((f) => f.report_date === null), "empty reportDate becomes null");
  assert.deepEqual(s.overflow, ["CIK0000717423-submissions-001.json"]);
});

Deno.test("parseCompanyFacts() flattens the 3 MB facts file; the integer cik is padded", async () => {
  const f = parseCompanyFacts(await reply("companyfacts_CIK0000717423.json"));
  assert.ok(f.rows.length > 10_000, String(f.rows.length));
  assert.equal(f.rows[0].cik, "0000717423");
  assert.ok(new Set(f.rows.map((r) => r.taxonomy)).has("us-gaap"));
  assert.ok(f.rows.every((r) => Number.isFinite(r.val) && /^\d{4}-\d{2}-\d{2}$/.test(r.end)));
});

Deno.test("createEdgarClient() refuses to call without a User-Agent and sends it when given", async () => {
  assert.throws(() => createEdgarClient({ baseUrl: "http://127.0.0.1:9", userAgent: " " }), TypeError);
  let ua = "";
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
    ua = req.headers.get("user-agent") ?? "";
    return new Response(new URL(req.url).pathname);
  });
  try {
    const c = createEdgarClient({
      baseUrl: `http://127.0.0.1:${server.addr.port}`,
      userAgent: "Ticklake test ops@example.com",
    });
    const r = await c.companyFacts(717423);
    assert.equal(new TextDecoder().decode(r.body), "/api/xbrl/companyfacts/CIK0000717423.json");
    assert.equal(ua, "Ticklake test ops@example.com");
  } finally {
    await server.shutdown();
  }
});

Deno.test("a SEC 403 over real HTTP says what SEC wants: a contact User-Agent, and 10 requests a second at most", async () => {
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    () =>
      new Response("<html><body>Your Request Originates from an Undeclared Automated Tool</body></html>", {
        status: 403,
      }),
  );
  try {
    const c = createEdgarClient({
      baseUrl: `http://127.0.0.1:${server.addr.port}`,
      userAgent: "Ticklake research contact@example.com",
    });
    const reply = await c.companyFacts(717423);
    assert.throws(
      () => parseCompanyFacts(reply),
      (e) =>
        e instanceof ProviderError && !e.retriable && /set TICKLAKE_SEC_USER_AGENT/.test(e.message) &&
        e.message.startsWith("Cannot fetch SEC company facts"),
    );
  } finally {
    await server.shutdown();
  }
});
