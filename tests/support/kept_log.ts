/**
 * A logger for tests that keeps its events, each as `{ event, ...fields }`, in order.
 * @module
 */
import type { Fields, Logger } from "../../pipelines/log.ts";

export function keptLog(): Logger & { events: (Fields & { event: string })[] } {
  const events: (Fields & { event: string })[] = [];
  const keep = (event: string, fields?: Fields) => void events.push({ event, ...fields });
  return { events, info: keep, warn: keep, error: keep };
}
