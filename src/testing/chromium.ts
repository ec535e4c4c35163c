// Debian's Chromium as every browser test and the web bench start it: headless, no sandbox (CI runs as
// root), and none of the background traffic that would reach outside the machine.
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.LANYARD_TEST_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Fails with what to install, rather than with playwright's message about a missing executable. */
export function assertChromiumInstalled(): void {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(
      `Chromium is needed for the browser tests: apt-get install -y chromium (or set LANYARD_TEST_CHROMIUM); ${CHROMIUM} is missing`,
    );
}

export async function launchChromium(): Promise<Browser> {
  assertChromiumInstalled();
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}
