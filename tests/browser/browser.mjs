// Shared set-up for the page checks: Debian's Chromium, headless, driven by playwright-core.
// No browser is downloaded: the system's /usr/bin/chromium is used (CHROMIUM to override).
import { chromium } from 'playwright-core';

export async function openPage(url) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  const page = await browser.newPage();
  const origin = new URL(url).origin;
  // Every request the page makes must stay on the server under test: no CDN, works offline.
  const foreign = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(origin) && !request.url().startsWith('data:')) foreign.push(request.url());
  });
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  await page.goto(url);
  return {
    page,
    async close() {
      if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
      await browser.close();
      if (foreign.length) throw new Error(`the page requested other origins: ${foreign.join(', ')}`);
      if (errors.length) throw new Error(`the page threw: ${errors.join('; ')}`);
    },
  };
}

export function expectEqual(label, actual, expected) {
  if (actual !== expected) throw new Error(`${label}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  console.log(`ok  ${label}: ${actual}`);
}
