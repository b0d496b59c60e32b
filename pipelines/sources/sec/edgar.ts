/**
 * SEC EDGAR submissions and XBRL company facts (data.sec.gov). SEC asks for a contact
 * User-Agent on every request and at most 10 requests a second (the `sec` token bucket).
 * `cik` is a string in submissions and an integer in companyfacts: both are accepted.
 * @module
 */
import { z } from "zod";
import { type Fetch, getRaw, ProviderError, type RawResponse, statusError } from "../http.ts";

const Cik = z.union([z.number().int(), z.string().regex(/^\d{1,10}$/)]).transform((c) => String(c).padStart(10, "0"));

export function createEdgarClient(
  { baseUrl, userAgent, fetch, timeoutMs }: { baseUrl: string; userAgent: string; fetch?: Fetch; timeoutMs?: number },
) {
  if (!userAgent.trim()) throw new TypeError("Cannot call SEC EDGAR without a User-Agent: set TICKLAKE_SEC_USER_AGENT");
  const get = (path: string): Promise<RawResponse> =>
    getRaw({ provider: "sec", url: `${baseUrl}${path}`, headers: { "user-agent": userAgent }, fetch, timeoutMs });
  const pad = (cik: string | number) => String(cik).padStart(10, "0");
  return {
    submissions: (cik: string | number) => get(`/submissions/CIK${pad(cik)}.json`),
    companyFacts: (cik: string | number) => get(`/api/xbrl/companyfacts/CIK${pad(cik)}.json`),
  };
}

/**
 * The error for a SEC reply that is not a 200. A 403 is SEC's fair-access rule at work: it refuses
 * clients whose User-Agent names no contact, and for 10 minutes those over 10 requests a second.
 */
export function secStatusError(reply: RawResponse, what: string): ProviderError {
  const detail = reply.status === 403
    ? "SEC refused it (HTTP 403): SEC wants a User-Agent naming you and an email (set TICKLAKE_SEC_USER_AGENT) " +
      "and at most 10 requests a second"
    : `SEC answered HTTP ${reply.status}`;
  return statusError("sec", reply, what, detail);
}

function parseJson(reply: RawResponse, what: string): unknown {
  if (reply.status !== 200) throw secStatusError(reply, `fetch ${what}`);
  try {
    return JSON.parse(new TextDecoder().decode(reply.body));
  } catch (e) {
    throw new ProviderError(`Cannot parse ${what}: not JSON`, {
      provider: "sec",
      status: 200,
      retriable: false,
      reason: "malformed",
      cause: e,
    });
  }
}

const SubmissionsSchema = z.object({
  cik: Cik,
  name: z.string(),
  tickers: z.array(z.string()),
  filings: z.object({
    recent: z.object({
      accessionNumber: z.array(z.string()),
      filingDate: z.array(z.string()),
      reportDate: z.array(z.string()),
      acceptanceDateTime: z.array(z.string()),
      form: z.array(z.string()),
      primaryDocument: z.array(z.string()),
    }),
    files: z.array(z.object({ name: z.string(), filingCount: z.number() })),
  }),
});

export interface Filing {
  cik: string;
  accession_number: string;
  filing_date: string;
  report_date: string | null;
  accepted_at: string;
  form: string;
  primary_document: string;
}

/** Filings from the parallel arrays under `filings.recent`, plus the overflow files to fetch next. */
export function parseSubmissions(
  reply: RawResponse,
): { name: string; tickers: string[]; filings: Filing[]; overflow: string[] } {
  const parsed = SubmissionsSchema.safeParse(parseJson(reply, "SEC submissions"));
  if (!parsed.success) {
    throw new ProviderError(
      `Cannot parse SEC submissions: ${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}`,
      {
        provider: "sec",
        status: 200,
        retriable: false,
        reason: "malformed",
      },
    );
  }
  const { cik, name, tickers, filings } = parsed.data;
  const r = filings.recent;
  if (
    new Set([r.filingDate.length, r.reportDate.length, r.form.length, r.acceptanceDateTime.length]).size !== 1 ||
    r.form.length !== r.accessionNumber.length
  ) {
    throw new ProviderError("Cannot parse SEC submissions: the parallel filing arrays differ in length", {
      provider: "sec",
      status: 200,
      retriable: false,
      reason: "malformed",
    });
  }
  return {
    name,
    tickers,
    overflow: filings.files.map((f) => f.name),
    filings: r.accessionNumber.map((accession, i) => ({
      cik,
      accession_number: accession,
      filing_date: r.filingDate[i],
      report_date: r.reportDate[i] || null,
      accepted_at: r.acceptanceDateTime[i],
      form: r.form[i],
      primary_document: r.primaryDocument[i],
    })),
  };
}

const FactSchema = z.object({
  end: z.string(),
  val: z.number(),
  fy: z.number().nullable().optional(),
  fp: z.string().nullable().optional(),
  form: z.string(),
  filed: z.string(),
  frame: z.string().optional(),
  start: z.string().optional(),
  accn: z.string(),
});
const FactsSchema = z.object({
  cik: Cik,
  entityName: z.string(),
  /** Set by Ticklake's replay server on facts it simulated. */
  ticklake: z.object({ simulated: z.boolean() }).optional(),
  facts: z.record(
    z.string(),
    z.record(z.string(), z.object({ units: z.record(z.string(), z.array(z.unknown())) }).loose()),
  ),
});

export interface FactRow {
  cik: string;
  taxonomy: string;
  concept: string;
  unit: string;
  start: string | null;
  end: string;
  val: number;
  fy: number | null;
  fp: string | null;
  form: string;
  filed: string;
  frame: string | null;
  accn: string;
}

/** Company facts as long rows, one per reported value. Values of an unexpected shape are counted, not kept. */
export function parseCompanyFacts(
  reply: RawResponse,
): { entityName: string; rows: FactRow[]; skipped: number; simulated: boolean } {
  const parsed = FactsSchema.safeParse(parseJson(reply, "SEC company facts"));
  if (!parsed.success) {
    throw new ProviderError(`Cannot parse SEC company facts: ${parsed.error.issues[0]?.message}`, {
      provider: "sec",
      status: 200,
      retriable: false,
      reason: "malformed",
    });
  }
  const { cik, entityName, facts, ticklake } = parsed.data;
  const rows: FactRow[] = [];
  let skipped = 0;
  for (const [taxonomy, concepts] of Object.entries(facts)) {
    for (const [concept, { units }] of Object.entries(concepts)) {
      for (const [unit, values] of Object.entries(units)) {
        for (const v of values) {
          const f = FactSchema.safeParse(v);
          if (!f.success) {
            skipped++;
            continue;
          }
          const x = f.data;
          rows.push({
            cik,
            taxonomy,
            concept,
            unit,
            start: x.start ?? null,
            end: x.end,
            val: x.val,
            fy: x.fy ?? null,
            fp: x.fp ?? null,
            form: x.form,
            filed: x.filed,
            frame: x.frame ?? null,
            accn: x.accn,
          });
        }
      }
    }
  }
  return { entityName, rows, skipped, simulated: ticklake?.simulated ?? false };
}
