/**
 * The common start of an end-to-end test: a test host, Debian's Chromium, one page on the
 * workstation, and every console error and page error collected (a test asserts on them).
 */
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './browser.js';
import { startTestHost, type TestHost, type TestHostOptions } from './host/test-host.js';
import { WorkstationPage } from './pages/workstation.js';

export interface Session {
  host: TestHost;
  readonly browser: Browser;
  readonly page: Page;
  readonly ws: WorkstationPage;
  /** Console errors and uncaught page errors, in order. */
  readonly problems: string[];
  close(): Promise<void>;
}

export async function openSession(opts: TestHostOptions & { width?: number; height?: number } = {}): Promise<Session> {
  const host = await startTestHost(opts);
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: opts.width ?? 1100, height: opts.height ?? 800 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(host.url);
  const session: Session = {
    host,
    browser,
    page,
    ws: new WorkstationPage(page),
    problems,
    close: async () => {
      await browser.close();
      await session.host.close();
    },
  };
  return session;
}
