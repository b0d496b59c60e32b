/**
 * How a job names why a symbol failed, for run records and logs: the provider's reason when it
 * gave one (after retries, the last attempt's; through the router, the one every provider gave),
 * else what the router or the code said.
 * @module
 */
import { RetriesExhausted } from "../net/retry.ts";
import { NoProviderError } from "../net/router.ts";
import { ProviderError } from "../sources/http.ts";
import { StoreError } from "../../lake/store.ts";

/**
 * Throw `e` on when the lake itself failed it (a full disk, S3 out of reach): that is no symbol's
 * failure, since every other would meet it too, so the job ends instead of recording each in turn.
 */
export function rethrowLakeFailure(e: unknown): void {
  if (e instanceof StoreError) throw e;
}

export function failureReason(e: unknown): string {
  const cause = e instanceof RetriesExhausted ? e.last : e;
  if (cause instanceof ProviderError) return cause.reason;
  if (e instanceof NoProviderError) {
    // Every provider there was failed the same way (there may be only one): that is the reason.
    const causes = new Set(Object.values(e.errors).map(failureReason));
    const allAsked = Object.keys(e.errors).length === Object.keys(e.reasons).length;
    return allAsked && causes.size === 1 ? [...causes][0] : "no_provider";
  }
  return (e as Error).name;
}
