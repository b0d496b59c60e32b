import assert from "node:assert/strict";
import type { Clock } from "../net/clock.ts";
import { RetriesExhausted, withRetry } from "../net/retry.ts";
import { askedWaitS, getRaw, ProviderError, statusError } from "./http.ts";

const NOW = new Date("2026-12-03T15:00:00Z");

Deno.test("askedWaitS() reads Retry-After in seconds or as a date, and Alpaca's X-RateLimit-Reset", () => {
  const wait = (h: Record<string, string>) => askedWaitS(new Headers(h), NOW);
  assert.equal(wait({ "retry-after": "120" }), 120);
  assert.equal(wait({ "retry-after": "Thu, 03 Dec 2026 15:01:30 GMT" }), 90);
  assert.equal(wait({ "retry-after": "Thu, 03 Dec 2026 14:00:00 GMT" }), 0, "a date gone by: no wait");
  assert.equal(wait({ "x-ratelimit-reset": String(NOW.getTime() / 1000 + 42) }), 42);
  assert.equal(wait({ "retry-after": "7", "x-ratelimit-reset": String(NOW.getTime() / 1000 + 42) }), 7);
  for (
    const h of [{}, { "retry-after": "soon" }, { "retry-after": "-5" }, { "x-ratelimit-reset": "1.5e9x" }] as Record<
      string,
      string
    >[]
  ) {
    assert.equal(wait(h), undefined, JSON.stringify(h));
  }
});

/** A clock whose sleeps are recorded and end at once. */
function recordingClock(): Clock & { slept: number[] } {
  const slept: number[] = [];
  return { slept, now: () => 0, sleep: (ms) => (slept.push(ms), Promise.resolve()) };
}

Deno.test("a 429's Retry-After, over real HTTP, sets the wait before the retry, and one past maxWaitMs ends the retries", async () => {
  let calls = 0;
  let asked = "90";
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    () =>
      ++calls % 2 === 1
        ? new Response("Too Many Requests\r\n", { status: 429, headers: { "retry-after": asked } })
        : new Response("ok"),
  );
  const url = `http://127.0.0.1:${server.addr.port}/v8/finance/chart/AAPL`;
  const fetchOnce = async () => {
    const reply = await getRaw({ provider: "yahoo", url, now: () => NOW });
    if (reply.status !== 200) throw statusError("yahoo", reply, "fetch AAPL");
    return new TextDecoder().decode(reply.body);
  };
  try {
    const clock = recordingClock();
    assert.equal(await withRetry(fetchOnce, { clock }), "ok");
    assert.deepEqual(clock.slept, [90_000], "90 s asked, over the first default of 60 s");

    asked = "3600";
    calls = 0;
    const hour = recordingClock();
    const e = await withRetry(fetchOnce, { clock: hour }).catch((e) => e);
    assert.ok(e instanceof RetriesExhausted, String(e));
    assert.equal(calls, 1, "no retry: the provider asked for an hour");
    assert.deepEqual(hour.slept, []);
    assert.ok(e.last instanceof ProviderError && e.last.retryAfterS === 3600);
    assert.match(e.message, /yahoo answered HTTP 429 \(asked to wait 3600 s\)/);
  } finally {
    await server.shutdown();
  }
});
