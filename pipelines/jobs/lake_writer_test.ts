import assert from "node:assert/strict";
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
