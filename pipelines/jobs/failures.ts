/**
 * How a job names why a symbol failed, for run records and logs: the provider's reason when it
 * gave one (after retries, the last attempt's), else what the router or the code said.
 * @module
 */
import { RetriesExhausted } from "../net/retry.ts";
import { NoProviderError } from "../net/router.ts";
import { ProviderError } from "../sources/http.ts";

export function failureReason(e: unknown): string {
  const cause = e instanceof RetriesExhausted ? e.last : e;
  if (cause instanceof ProviderError) return cause.reason;
  if (e instanceof NoProviderError) return "no_provider";
  return (e as Error).name;
}
