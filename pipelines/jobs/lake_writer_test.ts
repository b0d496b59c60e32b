import assert from "node:assert/strict";
import { join } from "node:path";
import { keptLog } from "../../tests/support/kept_log.ts";
import { layout } from "../../lake/layout.ts";
import { createLocalStore } from "../../lake/store_local.ts";
import type { LockOptions, ObjectStore } from "../../lake/store.ts";
import { type LockedTable, lockTable } from "./lake_writer.ts";

Deno.test("lockTable() guards every object its table's writers put", async () => {
  const local = createLocalStore(await Deno.makeTempDir());
  const guards = new Map<string, string[]>();
  const store: ObjectStore = {
    ...local,
    lock(key, holder, options?: LockOptions) {
      guards.set(key, options?.guards ?? []);
      return local.lock(key, holder, options);
    },
  };
  const written: Record<LockedTable, string[]> = {
    daily_bars: [layout.dailyBarsPartition(2024)],
    indicators_daily: [layout.indicatorsPartition(2024), layout.indicatorsLatest],
    minute_bars: [layout.minuteBarsPartition("2024-03")],
    fundamentals: [layout.fundamentalsPartition(2024)],
    symbols: [layout.symbols],
  };
  for (const [table, keys] of Object.entries(written) as [LockedTable, string[]][]) {
    await (await lockTable({ store, table, job: "test" }))[Symbol.asyncDispose]();
    const prefixes = guards.get(layout.lock(table))!;
    for (const key of keys) assert.ok(prefixes.some((p) => key.startsWith(p)), `${table} guards ${key}`);
    for (const other of Object.values(written).flat().filter((k) => !keys.includes(k))) {
      assert.ok(!prefixes.some((p) => other.startsWith(p)), `${table} leaves ${other} to its own table`);
    }
  }
});

Deno.test("lockTable() deletes the partition a killed holder was writing, and nothing outside its table", async () => {
  const root = await Deno.makeTempDir();
  const store = createLocalStore(root);
  // A child takes the daily_bars lock, starts writing a partition and is killed mid-write.
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { createLocalStore } from ${JSON.stringify(new URL("../../lake/store_local.ts", import.meta.url).href)};
       import { lockTable } from ${JSON.stringify(new URL("./lake_writer.ts", import.meta.url).href)};
       const store = createLocalStore(${JSON.stringify(root)});
       await lockTable({ store, table: "daily_bars", job: "killed" });
       const w = store.openWrite(${JSON.stringify(layout.dailyBarsPartition(2024))});
       await w.write(new Uint8Array(1 << 20));
       console.log("writing");
       setInterval(() => {}, 1 << 30);`,
    ],
    stdout: "piped",
  }).spawn();
  const said = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  assert.equal((await said.read()).value?.trim(), "writing");
  child.kill("SIGKILL");
  await child.status;
  await said.cancel();
  const temps = async (dir: string) => {
    const names: string[] = [];
    for await (const e of Deno.readDir(join(root, dir))) if (e.name.includes(".tmp-")) names.push(e.name);
    return names;
  };
  assert.equal((await temps("curated/daily_bars/year=2024")).length, 1, "the killed write's temp file");
  // Another table's unfinished write, whose writer may well be alive, must stay.
  const other = store.openWrite(layout.minuteBarsPartition("2024-03"));
  await other.write(new Uint8Array(10));

  const log = keptLog();
  await (await lockTable({ store, table: "daily_bars", job: "next", log }))[Symbol.asyncDispose]();
  assert.deepEqual(await temps("curated/daily_bars/year=2024"), []);
  assert.equal((await temps("curated/minute_bars/month=2024-03")).length, 1);
  const removed = log.events.find((e) => e.event === "lake.leftovers_removed");
  assert.deepEqual([removed?.files, removed?.bytes, removed?.prefix], [1, 1 << 20, "curated/daily_bars/"]);
  await other.abort();
});
