import assert from "node:assert/strict";
import { NoProviderError } from "../net/router.ts";
import { RetriesExhausted } from "../net/retry.ts";
import { ProviderError } from "../sources/http.ts";
import { failureReason } from "./failures.ts";

const failed = (reason: string) => new ProviderError(reason, { provider: "p", status: 0, retriable: false, reason });

Deno.test("failureReason() names the provider's reason, through retries and through the router when all agree", () => {
  assert.equal(failureReason(failed("not_found")), "not_found");
  assert.equal(failureReason(new RetriesExhausted(4, failed("rate_limited"))), "rate_limited");
  // The one provider there was answered 404.
  assert.equal(
    failureReason(new NoProviderError("fundamentals", { sec: "404" }, { sec: failed("not_found") })),
    "not_found",
  );
  // Two providers, two reasons; or one not even asked (its circuit open): the router's own reason.
  const two = new NoProviderError("eod", { a: "404", b: "429" }, { a: failed("not_found"), b: failed("rate_limited") });
  assert.equal(failureReason(two), "no_provider");
  const skipped = new NoProviderError("eod", { a: "circuit open", b: "404" }, { b: failed("not_found") });
  assert.equal(failureReason(skipped), "no_provider");
  assert.equal(failureReason(new RangeError("x")), "RangeError");
});
