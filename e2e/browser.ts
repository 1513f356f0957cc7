/** Debian's Chromium under playwright-core; never a downloaded browser build. */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env['HSAM_CHROMIUM'] ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox', // we run as root in CI containers
      '--disable-background-networking', // this machine's network is closed
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      // WebGL without a GPU: SwiftShader, the software rasteriser Chromium ships.
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
      '--ignore-gpu-blocklist',
    ],
  });
}
