/**
 * Takes a lock in the lake that the environment names and holds it until killed, printing
 * `locked` once it holds it: the holder a store-lock test kills.
 * Usage: deno run -A tests/support/hold_lock.ts <key> <ttl ms>
 * @module
 */
import { loadConfig } from "../../config.ts";
import { openStore } from "../../lake/open_store.ts";
import { lockHolder } from "../../lake/store.ts";

const [key, ttl] = Deno.args;
const store = openStore(loadConfig().lake);
await store.lock(key, lockHolder("holder"), { ttlMs: Number(ttl) });
console.log("locked");
setInterval(() => {}, 2 ** 30); // held until killed
