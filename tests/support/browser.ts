/**
 * Headless Debian Chromium driven by playwright-core, started with the flags that keep it off
 * the (closed) network: no background networking, component updates or sync.
 * @module
 */
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM = Deno.env.get("TICKLAKE_CHROMIUM") ?? "/usr/bin/chromium";

export async function launchBrowser(): Promise<Browser> {
  return await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
}
