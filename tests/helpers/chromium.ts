// Real headless Chromium (Debian's `chromium` package, driven by playwright-core) for the HTML
// report's tests: a fresh profile each time, nothing in the background that could reach the
// network (no component updates, sync, QUIC, first-run pages), and every request the page makes,
// every console message and every page error recorded.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = process.env.IMAGEDRIFT_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface OpenedPage {
  page: Page;
  /** Every URL the page requested (the document itself included). */
  requests: string[];
  /** Console messages of type error, and uncaught page errors. */
  errors: string[];
  close(): Promise<void>;
}

/** Opens a file in a fresh headless Chromium and waits until it has loaded. */
export async function openInChromium(file: string): Promise<OpenedPage> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium package (apt-get install -y chromium), or set IMAGEDRIFT_CHROMIUM`);
  const profile = mkdtempSync(join(tmpdir(), 'imagedrift-chromium-'));
  // The profile is given as --user-data-dir by launchPersistentContext, fresh for this run.
  const context: BrowserContext = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, timeout: 60_000 });
  const requests: string[] = [];
  const errors: string[] = [];
  context.on('request', (request) => requests.push(request.url()));
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`file://${file}`, { waitUntil: 'load' });
  return {
    page,
    requests,
    errors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
