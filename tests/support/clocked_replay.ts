/**
 * The replay server on a clock the test moves, for runs before and after something happens (a
 * session closes, a split goes ex): `now` is the server's and the clients' time, `set` moves it.
 * @module
 */
import { startReplayServer } from "../../pipelines/replay/server.ts";

export interface ReplayClock {
  url: string;
  now: () => Date;
  set(iso: string): void;
}

export async function withClockedReplay(start: string, fn: (replay: ReplayClock) => Promise<void>): Promise<void> {
  let clock = new Date(start);
  const now = () => clock;
  const replay = await startReplayServer({ port: 0, hostname: "127.0.0.1", now });
  try {
    await fn({ url: replay.url, now, set: (iso) => void (clock = new Date(iso)) });
  } finally {
    await replay.close();
  }
}
