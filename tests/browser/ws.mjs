// /api/ws/*: the echo page, two members of a chat room (and one in another room), the room
// picker, and the live Dummy feed seeing a Dummy created through the page's own REST form.
// Usage: node ws.mjs http://127.0.0.1:PORT
// PORT must serve both /api/ws/* and /api/rest/* in one process (`protocols serve`'s composed
// port): with SQLite the feed only sees writes made by the process serving the socket.
import { openBrowser, expectEqual } from './browser.mjs';

const base = process.argv[2];
if (!base) throw new Error('usage: node ws.mjs http://127.0.0.1:PORT');
const TIMEOUT = 15000;

const session = await openBrowser();
const open = async (path) => {
  const page = await session.open(`${base}${path}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: TIMEOUT });
  return page;
};
// Elements whose text is exactly `text`.
const exactly = (text) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
const chatText = (page, text) => page.locator('#log .chat .text', { hasText: exactly(text) });
const chatWith = (page, text) => page.locator('#log .chat', { has: page.locator('.text', { hasText: exactly(text) }) });

try {
  // (1) Echo: what is sent comes back; with a delay, later; a bad delay gets an error frame.
  const echo = await open('/api/ws/echo/');
  expectEqual('echo page connected', await echo.getAttribute('#status', 'data-state'), 'open');
  await echo.fill('#message', 'hello echo');
  await echo.click('#send');
  await echo.locator('#log .echo', { hasText: exactly('hello echo') }).waitFor({ timeout: TIMEOUT });
  expectEqual('the echo comes back', await echo.locator('#log .echo').last().textContent(), 'hello echo');
  await echo.fill('#message', 'hello later');
  await echo.fill('#delay', '0.5');
  await echo.press('#message', 'Enter');
  await echo.locator('#log .echo', { hasText: exactly('hello later') }).waitFor({ timeout: TIMEOUT });
  expectEqual('a delayed echo comes back', await echo.locator('#log .echo').last().textContent(), 'hello later');
  await echo.fill('#delay', '60');
  await echo.click('#send');
  await echo.locator('#log li.error').first().waitFor({ timeout: TIMEOUT });
  expectEqual('a delay over 10 s gets an error frame',
    (await echo.locator('#log li.error').first().textContent()).includes('delay must be between'), true);

  // (2) Chat: A and B in browserroom, C in otherroom, D in browserroom through /async_chat/.
  const a = await open('/api/ws/chat/browserroom/');
  const b = await open('/api/ws/chat/browserroom/');
  const c = await open('/api/ws/chat/otherroom/');
  const d = await open('/api/ws/async_chat/browserroom/');
  expectEqual('the room name is the title', await a.textContent('#room-name'), 'browserroom');
  await a.fill('#message', 'from A');
  await a.click('#send');
  await chatText(a, 'from A').waitFor({ timeout: TIMEOUT });
  await chatText(b, 'from A').waitFor({ timeout: TIMEOUT });
  await chatText(d, 'from A').waitFor({ timeout: TIMEOUT });
  expectEqual('A and B (and async_chat D) see "from A"', true, true);
  const own = chatWith(a, 'from A');
  expectEqual('A marks it as its own', await own.evaluate((el) => el.classList.contains('own')), true);
  const other = chatWith(b, 'from A');
  expectEqual('B does not', await other.evaluate((el) => el.classList.contains('own')), false);
  expectEqual('B sees the same sender id', await other.getAttribute('data-sender'), await own.getAttribute('data-sender'));
  expectEqual('the message has a time', (await other.locator('.time').getAttribute('datetime')).endsWith('Z'), true);
  await b.fill('#message', 'from B');
  await b.press('#message', 'Enter');
  await chatText(a, 'from B').waitFor({ timeout: TIMEOUT });
  expectEqual('A sees "from B" (sent with Enter)', await chatText(a, 'from B').count(), 1);
  // C has been in its own room all along; by now it would have had "from A".
  await c.waitForTimeout(300);
  expectEqual('otherroom does not see "from A"', await chatText(c, 'from A').count(), 0);
  expectEqual('otherroom does not see "from B"', await chatText(c, 'from B').count(), 0);

  // The room picker: an invalid name is refused in the page; a valid one leads to its room.
  const rooms = await session.open(`${base}/api/ws/chat/`);
  await rooms.waitForSelector('body[data-ready="true"]', { timeout: TIMEOUT });
  await rooms.fill('#room', 'bad room!');
  await rooms.click('#join');
  expectEqual('an invalid room name is refused', (await rooms.textContent('#error')).includes('not a valid room name'), true);
  expectEqual('and the page stays', new URL(rooms.url()).pathname, '/api/ws/chat/');
  await rooms.fill('#room', 'browserroom');
  await Promise.all([rooms.waitForURL((u) => u.pathname === '/api/ws/chat/browserroom/', { timeout: TIMEOUT }), rooms.click('#join')]);
  await rooms.waitForSelector('body[data-ready="true"]', { timeout: TIMEOUT });
  expectEqual('a valid name opens its room', await rooms.textContent('#room-name'), 'browserroom');

  // (3) The feed: create, update and delete a Dummy through the page's own REST form.
  const feed = await open('/api/ws/dummies/');
  await feed.click('#create');
  await feed.waitForFunction(() => ['true', 'false'].includes(document.getElementById('rest-result').dataset.ok), null, { timeout: TIMEOUT });
  const created = await feed.textContent('#rest-result');
  expectEqual('POST /api/rest/dummie answers 201', created.includes('201'), true);
  const id = await feed.inputValue('#dummy-id');
  const event = (kind) => feed.locator(`#log .event[data-event="${kind}"][data-id="${id}"]`);
  await event('created').waitFor({ timeout: TIMEOUT });
  expectEqual(`the feed shows "created" for #${id}`, await event('created').count(), 1);
  await feed.fill('#year', '1999');
  await feed.click('#update');
  await event('updated').waitFor({ timeout: TIMEOUT });
  expectEqual('then "updated" with the new year', (await event('updated').locator('.date').textContent()).endsWith('1999'), true);
  await feed.click('#delete');
  await event('deleted').waitFor({ timeout: TIMEOUT });
  expectEqual('then "deleted"', await event('deleted').count(), 1);
  console.log('browser checks passed');
} finally {
  await session.close();
}
