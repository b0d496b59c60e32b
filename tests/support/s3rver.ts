/**
 * A real S3 protocol server for tests: npm s3rver on 127.0.0.1, a random port, a fresh temp
 * directory and one empty bucket.
 * @module
 */
import { Buffer } from "node:buffer";
import crypto from "node:crypto";
import S3rver from "s3rver";

// s3rver seals its list continuation tokens with DES, which Deno's node:crypto lacks: every list
// past one page (1,000 keys) failed with a 500. The token only has to be opaque and to open
// again, so DES is stood in for by AES keyed and seeded with the same bytes, twice over.
function withoutDes<T>(make: T): T {
  const m = make as (...args: unknown[]) => unknown;
  return ((algorithm: string, key: Uint8Array, iv: Uint8Array, ...rest: unknown[]) =>
    algorithm === "des"
      ? m("aes-128-cbc", Buffer.concat([key, key]), Buffer.concat([iv, iv]), ...rest)
      : m(algorithm, key, iv, ...rest)) as T;
}
crypto.createCipheriv = withoutDes(crypto.createCipheriv);
crypto.createDecipheriv = withoutDes(crypto.createDecipheriv);

export interface S3Fixture {
  endpoint: string;
  bucket: string;
  /** Environment that points Ticklake at this server (lake under `prefix`). */
  env(prefix?: string): Record<string, string>;
  close(): Promise<void>;
}

export async function startS3rver(bucket = "ticklake-test"): Promise<S3Fixture> {
  const directory = await Deno.makeTempDir({ prefix: "s3rver-" });
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run() as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    env: (prefix = "lake") => ({
      TICKLAKE_LAKE: `s3://${bucket}/${prefix}`,
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
    }),
    async close() {
      await server.close();
      await Deno.remove(directory, { recursive: true }).catch(() => {});
    },
  };
}
