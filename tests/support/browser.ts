/**
 * A headless Chromium for the page's end-to-end test: the Debian package `chromium`, driven by
 * playwright-core (tests/support/deps.ts). `chromiumInstalled()` tells the test whether to run or
 * to say it skipped.
 */
import { type BrowserContext, chromium, type Page } from "./deps.ts";

export type { BrowserContext, Page };

export const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

export async function chromiumInstalled(): Promise<boolean> {
  try {
    return (await Deno.stat(CHROMIUM)).isFile;
  } catch {
    return false;
  }
}

/**
 * Launches Chromium headless with a new empty profile (Playwright passes it as --user-data-dir),
 * quiet: no sync, updates or background traffic.
 */
export async function launchChromium(
  viewport = { width: 1200, height: 900 },
): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = await Deno.makeTempDir({ prefix: "bo-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport,
    // The demo service runs in UTC; the page shows and sends the venue's wall clock.
    timezoneId: "UTC",
    locale: "en-US",
  });
  return {
    context,
    close: async () => {
      await context.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}
