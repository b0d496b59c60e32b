/**
 * What a user sees when the lake itself fails them: an S3 endpoint nothing answers on, a bucket
 * that does not exist, credentials S3 refuses, a full disk. One line saying what to check, exit
 * 1, no stack trace; and, for the full disk, nothing lost.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../config.ts";
import { openStore } from "../lake/open_store.ts";
import { createLocalStore, writeFailure } from "../lake/store_local.ts";
import { StoreError } from "../lake/store.ts";
import { startS3rver } from "./support/s3rver.ts";
import { runMain } from "./support/run_main.ts";

/** `deno task <args>` under `env`: its exit code and what it wrote to stderr. */
async function run(args: string[], env: Record<string, string>) {
  const { code, err } = await runMain(args, env);
  return { code, stderr: err };
}

Deno.test("an unreachable S3 endpoint, a missing bucket and refused credentials each end with one line naming what to check", async () => {
  const s3 = await startS3rver();
  const closed = Deno.listen({ port: 0, hostname: "127.0.0.1" });
  const nowhere = `http://127.0.0.1:${(closed.addr as Deno.NetAddr).port}`;
  closed.close();
  try {
    const cases: [Record<string, string>, RegExp][] = [
      [
        { AWS_ENDPOINT_URL: nowhere, AWS_MAX_ATTEMPTS: "1" },
        /cannot reach http:\/\/127\.0\.0\.1:\d+: check AWS_ENDPOINT_URL/,
      ],
      [
        { TICKLAKE_LAKE: "s3://no-such-bucket/lake" },
        /the bucket 'no-such-bucket' does not exist: create it, or fix TICKLAKE_LAKE/,
      ],
      // s3rver checks the key id (not v4 signatures): an unknown one is S3's InvalidAccessKeyId, 403.
      [{ AWS_ACCESS_KEY_ID: "NOBODY" }, /S3 refused the request: check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY/],
    ];
    for (const [change, message] of cases) {
      const { code, stderr } = await run(["status"], { ...s3.env(), ...change });
      assert.equal(code, 1, stderr);
      assert.match(stderr, message);
      assert.equal(stderr.trim().split("\n").length, 1, `one line, no stack: ${stderr}`);
    }
    // The same lake, reachable, is simply empty.
    assert.equal((await run(["status"], s3.env())).code, 0);
    // An object read from a missing bucket is no missing object, though both are S3 404s. (A HEAD
    // has no body to tell them apart: there, both are missing.)
    const lost = openStore(loadConfig({ ...s3.env(), TICKLAKE_LAKE: "s3://no-such-bucket/lake" }).lake);
    await assert.rejects(lost.get("state/daily_cursor.json"), /the bucket 'no-such-bucket' does not exist/);
  } finally {
    await s3.close();
  }
});

Deno.test("a lake path that is a file ends with one line saying so", async () => {
  const file = await Deno.makeTempFile();
  const { code, stderr } = await run(["status"], { TICKLAKE_LAKE: file });
  assert.equal(code, 1);
  assert.equal(
    stderr,
    `error: Cannot open the lake at ${file}: it is a file; point TICKLAKE_LAKE (or --lake) at a directory`,
  );
});

Deno.test("writeFailure() says what to do about the refusals a user can act on, and passes the rest on unchanged", () => {
  const oops = (code: string) => Object.assign(new Error(`os error (${code})`), { code });
  const cases: [string, RegExp][] = [
    ["ENOSPC", /Cannot write \/lake\/x: the disk is full: free some space, then run the same command again/],
    ["EDQUOT", /quota is used up/],
    ["EACCES", /permission denied: point TICKLAKE_LAKE \(or --lake\) at a directory this user may write/],
    ["EROFS", /read-only/],
  ];
  for (const [code, message] of cases) {
    const e = writeFailure("/lake/x", oops(code));
    assert.ok(e instanceof StoreError);
    assert.match(e.message, message);
    assert.match(e.message, new RegExp(`os error \\(${code}\\)`), "the OS's words are kept");
  }
  const other = oops("EIO");
  assert.equal(writeFailure("/lake/x", other), other);
});

/** A 1 MiB tmpfs, where root may mount one (CI and this sandbox); elsewhere the test is skipped, and says so. */
async function smallDisk(): Promise<{ dir: string; unmount(): Promise<void> } | undefined> {
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) return undefined;
  const dir = await Deno.makeTempDir({ prefix: "ticklake-full-" });
  const mount = await new Deno.Command("mount", { args: ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir] }).output()
    .catch(() => undefined);
  if (!mount?.success) return undefined;
  return {
    dir,
    async unmount() {
      await new Deno.Command("umount", { args: [dir] }).output();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const disk = await smallDisk();

Deno.test({
  name: "a local lake on a disk that fills up: the write fails with a clear StoreError and leaves no torn or temp file",
  ignore: !disk,
  async fn() {
    const store = createLocalStore(disk!.dir);
    try {
      await store.put("raw/a.json", new Uint8Array(300_000));
      await assert.rejects(store.put("raw/b.json", new Uint8Array(900_000)), (e) => {
        assert.ok(e instanceof StoreError, String(e));
        assert.match(e.message, /raw\/b\.json: the disk is full: free some space/);
        return true;
      });
      const w = store.openWrite("curated/c.parquet");
      await assert.rejects(
        (async () => {
          for (let i = 0; i < 20; i++) await w.write(new Uint8Array(100_000));
          await w.commit();
        })(),
        StoreError,
      );
      await w.abort();
      assert.deepEqual((await store.list("")).map((o) => o.key), ["raw/a.json"]);
      assert.deepEqual(await store.removeLeftovers!(""), { files: 0, bytes: 0 }, "no temp file left behind");
      assert.equal((await store.get("raw/a.json"))?.length, 300_000);
      // The same disk made read-only: refused at the first write, or at a commit with nothing written.
      const ro = await new Deno.Command("mount", { args: ["-o", "remount,ro", disk!.dir] }).output();
      assert.ok(ro.success, new TextDecoder().decode(ro.stderr));
      await assert.rejects(store.put("raw/c.json", "{}"), /Cannot write .*raw\/c\.json: the file system is read-only/);
      await assert.rejects(store.openWrite("state/d.json").commit(), /state\/d\.json: the file system is read-only/);
      assert.equal((await store.get("raw/a.json"))?.length, 300_000, "what was there is still there");
    } finally {
      await disk!.unmount();
    }
  },
});
