/**
 * Open the configured lake: local disk or S3.
 * @module
 */
import type { LakeLocation } from "../config.ts";
import type { ObjectStore } from "./store.ts";
import { createLocalStore } from "./store_local.ts";
import { createS3Store } from "./store_s3.ts";

export function openStore(loc: LakeLocation): ObjectStore {
  return loc.kind === "local" ? createLocalStore(loc.root, { lockWaitMs: loc.lockWaitMs }) : createS3Store(loc);
}
