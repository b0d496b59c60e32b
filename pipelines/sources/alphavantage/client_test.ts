import assert from "node:assert/strict";
import { daysToIso, isoToDays, num } from "../../../lake/schemas/columns.ts";
import { ProviderError } from "../http.ts";
import {
  cleanSplit,
  parseDailyAdjustedCsv,
  parseDailyAdjustedJson,
  parseFxDaily,
  parseListingStatus,
  throwIfSoftError,
} from "./client.ts";

const read = (f: string) => Deno.readTextFile(new URL(`./testdata/${f}`, import.meta.url));
const ALL = { fromDay: 0, toDay: 100_000 };
const at = (b: ReturnType<typeof parseDailyAdjustedCsv>["batch"], iso: string, col: string) =>
  num(b, col)[Array.from(num(b, "date")).indexOf(isoToDays(iso))];

Deno.test("parseDailyAdjustedCsv() reads AAPL's full history oldest-first with clean split ratios", async () => {
  const { batch } = parseDailyAdjustedCsv(await read("daily_adjusted_AAPL_2020-12.csv"), "AAPL", ALL);
  assert.equal(daysToIso(num(batch, "date")[0]), "1999-11-01");
  assert.equal(daysToIso(num(batch, "date")[batch.length - 1]), "2020-12-04");
  assert.equal(at(batch, "2014-06-09", "split_ratio"), 7);
  assert.equal(at(batch, "2020-08-31", "split_ratio"), 4);
  assert.equal(at(batch, "2020-12-04", "close"), 122.25);
  assert.ok(num(batch, "split_ratio").filter((s) => s !== 1).length >= 4);
});

Deno.test("parseDailyAdjustedCsv() keeps TSLA's pre-split price as traded", async () => {
  const { batch } = parseDailyAdjustedCsv(await read("daily_adjusted_TSLA_2020-12.csv"), "TSLA", ALL);
  assert.ok(at(batch, "2020-08-28", "close") > 2000, String(at(batch, "2020-08-28", "close")));
  assert.equal(at(batch, "2020-08-31", "split_ratio"), 5);
});

Deno.test("parseDailyAdjustedCsv() treats GOOGL's 2014 class-C distribution as stock, not cash", async () => {
  const { batch, warnings } = parseDailyAdjustedCsv(await read("daily_adjusted_GOOGL_2020-12.csv"), "GOOGL", ALL);
  assert.equal(at(batch, "2014-04-03", "dividend"), 0);
  assert.ok(warnings.some((w) => /567.9717/.test(w) && /distribution/.test(w)));
});

Deno.test("parseDailyAdjustedJson() reads the IBM reply with its dividend", async () => {
  const { batch } = parseDailyAdjustedJson(await read("crazzyghost_dailyadjusted_IBM_2020-05.json"), "IBM", ALL);
  assert.equal(batch.length, 2);
  assert.equal(at(batch, "2020-05-07", "dividend"), 1.63);
  assert.equal(at(batch, "2020-05-08", "close"), 121.805);
});

Deno.test("throwIfSoftError(): the burst and per-minute limits are rate limiting, the daily limit and premium are terminal", async () => {
  const reasons: string[] = [];
  for (
    const f of [
      "note_rate_limit_5perMin_500perDay_as_quoted_RomelTorres_alpha_vantage_issue125.json",
      "information_rate_limit_25perDay_as_quoted_in_public_code.json",
      "information_rate_limit_25perDay_detected_key_variant_KEY_REDACTED.json",
      "information_premium_endpoint_as_quoted_in_public_docs.json",
    ]
  ) {
    try {
      throwIfSoftError(await read(f), "test");
      reasons.push("none");
    } catch (e) {
      assert.ok(e instanceof ProviderError);
      reasons.push(`${e.reason}:${e.retriable}`);
    }
  }
  assert.deepEqual(reasons, ["rate_limited:true", "quota_exhausted:false", "quota_exhausted:false", "premium:false"]);
  // The burst limit's message (as quoted in public client code) names the daily limit too, but a retry soon works.
  const burst = JSON.stringify({
    Information:
      "Thank you for using Alpha Vantage! Please consider spreading out your free API requests more sparingly (1 request per second). You may subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to lift the free key rate limit (25 requests per day) and instantly unlock all premium endpoints",
  });
  assert.throws(
    () => throwIfSoftError(burst, "test"),
    (e) => e instanceof ProviderError && e.reason === "rate_limited" && e.retryAfterS === 2,
  );
  const premium = await read("information_premium_endpoint_as_quoted_in_public_docs.json");
  assert.throws(() => parseDailyAdjustedCsv(premium, "X", ALL), ProviderError);
  assert.throws(() => throwIfSoftError('{"Error Message": "Invalid API call."}', "t"), /Invalid API call/);
});

Deno.test("throwIfSoftError(): the demo key and a wrong key are refused for good, naming ALPHAVANTAGE_API_KEY", () => {
  // As quoted in public client code and docs; the demo key's reply is an `Information`, like the rate limits'.
  for (
    const body of [
      {
        Information:
          "The **demo** API key is for demo purposes only. Please claim your free API key at (https://www.alphavantage.co/support/#api-key) to explore our full API offerings. It takes fewer than 20 seconds.",
      },
      {
        "Error Message":
          "the parameter apikey is invalid or missing. Please claim your free API key on (https://www.alphavantage.co/support/#api-key). It should take less than 20 seconds.",
      },
    ]
  ) {
    assert.throws(
      () => throwIfSoftError(JSON.stringify(body), "fetch X"),
      (e) =>
        e instanceof ProviderError && e.reason === "unauthorized" && !e.retriable &&
        /set ALPHAVANTAGE_API_KEY to your own/.test(e.message),
    );
  }
});

Deno.test("parseListingStatus() reads the real listing with null dates and empty names", async () => {
  const rows = parseListingStatus(await read("listing_status_active_2021-12.csv"));
  assert.ok(rows.length > 12000);
  const zzk = rows.find((r) => r.symbol === "ZZK")!;
  assert.equal(zzk.name, "");
  assert.equal(zzk.delistingDate, null);
  assert.match(rows.find((r) => r.symbol === "AAPL")!.ipoDate!, /^\d{4}-\d{2}-\d{2}$/);
});

Deno.test("cleanSplit() snaps float noise but keeps real fractional ratios", () => {
  assert.equal(cleanSplit(7.00000700001), 7);
  assert.equal(cleanSplit(1.5), 1.5);
  assert.equal(cleanSplit(0), 1);
});

Deno.test("parseFxDaily() reads the documented FX_DAILY shape oldest first", () => {
  // The shape documented for FX_DAILY (no recorded reply is available offline).
  const body = JSON.stringify({
    "Meta Data": {
      "1. Information": "Forex Daily Prices (open, high, low, close)",
      "2. From Symbol": "EUR",
      "3. To Symbol": "USD",
      "4. Output Size": "Full size",
      "5. Last Refreshed": "2024-03-01 22:00:00",
      "6. Time Zone": "UTC",
    },
    "Time Series FX (Daily)": {
      "2024-03-01": { "1. open": "1.08040", "2. high": "1.08880", "3. low": "1.07960", "4. close": "1.08380" },
      "2024-02-29": { "1. open": "1.08420", "2. high": "1.08560", "3. low": "1.07960", "4. close": "1.08040" },
    },
  });
  const rows = parseFxDaily(body);
  assert.deepEqual(rows.map((r) => [r.date, r.from, r.to, r.close]), [["2024-02-29", "EUR", "USD", 1.0804], [
    "2024-03-01",
    "EUR",
    "USD",
    1.0838,
  ]]);
  assert.throws(() => parseFxDaily("{}"), ProviderError);
});
