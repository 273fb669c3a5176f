// Shared set-up for the page checks: Debian's Chromium, headless, driven by playwright-core.
// No browser is downloaded: the system's /usr/bin/chromium is used (CHROMIUM to override).
import { chromium } from 'playwright-core';

// One browser for several pages (the chat check needs two members in a room).
// `allowedOrigins`: other origins the pages may call besides their own (for instance the gRPC
// server on its own port, which the /grpc page reaches over gRPC-Web with CORS).
// `open(url)` gives a page that has loaded `url`; `close()` closes the browser, then fails if any
// page requested another origin or threw. With SCREENSHOT=file.png the pages are saved first
// (the second as file-2.png, and so on).
export async function openBrowser(allowedOrigins = []) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  const pages = [];
  const foreign = [];
  const errors = [];
  return {
    browser,
    async open(url) {
      const page = await browser.newPage();
      pages.push(page);
      const origins = [new URL(url).origin, ...allowedOrigins.map((o) => new URL(o).origin)];
      // Every request the page makes must stay on the servers under test: no CDN, works offline.
      // (A WebSocket to the page's own host:port counts as its own origin.)
      const ownOrigin = (target) => {
        const u = new URL(target);
        if (u.protocol === 'ws:' || u.protocol === 'wss:') u.protocol = u.protocol === 'ws:' ? 'http:' : 'https:';
        return origins.includes(u.origin);
      };
      page.on('request', (request) => {
        const target = request.url();
        if (target.startsWith('data:')) return;
        if (!ownOrigin(target)) foreign.push(target);
      });
      page.on('websocket', (ws) => { if (!ownOrigin(ws.url())) foreign.push(ws.url()); });
      page.on('pageerror', (error) => errors.push(String(error)));
      await page.goto(url);
      return page;
    },
    async close() {
      if (process.env.SCREENSHOT) {
        for (const [i, page] of pages.entries()) {
          const path = i === 0 ? process.env.SCREENSHOT : process.env.SCREENSHOT.replace(/(\.\w+)?$/, `-${i + 1}$1`);
          await page.screenshot({ path, fullPage: true }).catch(() => {});
        }
      }
      await browser.close();
      if (foreign.length) throw new Error(`the page requested other origins: ${foreign.join(', ')}`);
      if (errors.length) throw new Error(`the page threw: ${errors.join('; ')}`);
    },
  };
}

// One browser, one page.
export async function openPage(url, allowedOrigins = []) {
  const session = await openBrowser(allowedOrigins);
  const page = await session.open(url);
  return { page, close: session.close };
}

export function expectEqual(label, actual, expected) {
  if (actual !== expected) throw new Error(`${label}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  console.log(`ok  ${label}: ${actual}`);
}
