// A worker for the pool's tests: doubles `n`, sums `bytes`, throws on `fail`.
import { serveWorker } from "../worker_pool.ts";

serveWorker<{ n?: number; bytes?: Uint8Array; fail?: string }, number>((input) => {
  if (input.fail) throw new Error(input.fail);
  if (input.bytes) return [input.bytes.reduce((a, b) => a + b, 0), []];
  return [input.n! * 2, []];
});
