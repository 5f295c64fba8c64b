// Debian's chromium as every browser test starts it: headless, no sandbox (containers), no GPU, and nothing
// that would reach the network on its own (background updates, sync, QUIC), with a fresh profile each launch.
// LOAM_CHROMIUM names another binary.

import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.LOAM_CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
}
