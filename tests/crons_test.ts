/** The cron process as a service manager runs it: it says when it is ready, and a SIGTERM ends it cleanly. */
import assert from "node:assert/strict";

type Event = { event: string; jobs?: string[]; signal?: string };

/** The JSON log lines of a stream, as they come. */
async function* events(stream: ReadableStream<Uint8Array<ArrayBuffer>>): AsyncGenerator<Event> {
  let rest = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    const lines = (rest + text).split("\n");
    rest = lines.pop()!;
    for (const line of lines) if (line.trim()) yield JSON.parse(line);
  }
}

Deno.test("crons.ts says when its jobs are registered, and an idle one ends on SIGTERM with code 143", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-cron", new URL("../pipelines/crons.ts", import.meta.url).pathname],
    env: { TICKLAKE_LAKE: await Deno.makeTempDir() },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const seen: Event[] = [];
  const log = events(child.stderr);
  // Read by hand: a `for await` that breaks would close the stream.
  for (let e = await log.next(); !e.done; e = await log.next()) {
    if (seen.push(e.value) && e.value.event === "cron.ready") break;
  }
  assert.equal(seen.at(-1)?.event, "cron.ready", "the process ended before registering its jobs");
  assert.equal(seen.at(-1)?.jobs?.length, 5);
  child.kill("SIGTERM");
  for await (const e of log) seen.push(e);
  const status = await child.status;
  // Ended by itself (no signal), with the shell's code for SIGTERM, after saying why.
  assert.deepEqual([status.code, status.signal], [143, null]);
  assert.deepEqual([seen.at(-1)?.event, seen.at(-1)?.signal], ["run.stopping", "SIGTERM"]);
});
