// /grpc: the page calls Greeter, the echo server stream and the Dummy service over gRPC-Web
// (Connect-ES in the browser, CORS to the gRPC port) and shows the frames' bytes.
// Usage: node grpc.mjs http://127.0.0.1:HTTP_PORT http://127.0.0.1:GRPC_PORT
import { openPage, expectEqual } from './browser.mjs';

const [base, grpc] = process.argv.slice(2);
if (!base || !grpc) throw new Error('usage: node grpc.mjs http://127.0.0.1:HTTP_PORT http://127.0.0.1:GRPC_PORT');
const { page, close } = await openPage(`${base}/grpc?server=${encodeURIComponent(grpc)}`, [grpc]);
try {
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
  expectEqual('the server field shows ?server=', await page.inputValue('#server'), grpc);

  // Each click prepends a <section data-rpc=…> to #log; data-done is set once the call
  // and the reading of its response body have both finished.
  // The newest entry is the first child; wait for a new one, then for it to finish.
  const call = async (rpc, button) => {
    const before = await page.locator('#log > section').count();
    await page.click(button);
    await page.waitForFunction((n) => document.querySelectorAll('#log > section').length > n, before, { timeout: 15000 });
    const entry = page.locator('#log > section').first();
    await page.locator(`#log > section:first-child[data-rpc="${rpc}"][data-done="true"]`).waitFor({ timeout: 15000 });
    return entry;
  };
  const frameLines = async (entry, which) => entry.locator(`.frames-${which} .frame`).evaluateAll(
    (lines) => lines.map((line) => ({ kind: line.dataset.kind, hex: line.querySelector('.hex').textContent })));

  // Unary: one data frame out; a data frame and the trailers frame back.
  await page.fill('#name', 'browser');
  const hello = await call('SayHello', '#say-hello');
  const helloResult = await hello.locator('.result').textContent();
  expectEqual('SayHello answers', helloResult.includes('Hello, browser!'), true);
  const helloSent = await frameLines(hello, 'sent');
  expectEqual('one frame sent', helloSent.length, 1);
  expectEqual('it is a data frame', helloSent[0].kind, 'data');
  // flag 00, then the length 9 as 4 big-endian bytes, then field 1 (0a), length 7, "browser".
  expectEqual('the sent frame starts with flag and length', helloSent[0].hex.startsWith('00 00 00 00'), true);
  expectEqual('the sent frame is the whole HelloRequest', helloSent[0].hex, '00 00 00 00 09 0a 07 62 72 6f 77 73 65 72');
  const helloReceived = await frameLines(hello, 'received');
  expectEqual('a data frame received first', helloReceived[0]?.kind, 'data');
  expectEqual('a trailers frame received last', helloReceived.at(-1)?.kind, 'trailers');
  expectEqual('the trailers frame is flagged 0x80', helloReceived.at(-1).hex.startsWith('80 '), true);

  // Server streaming: one data frame per word, then the trailers.
  await page.fill('#echo-text', 'one two three');
  await page.fill('#echo-delay', '100');
  const echo = await call('ServerStreamingEcho', '#echo-stream');
  const echoed = JSON.parse(await echo.locator('.result').textContent());
  expectEqual('three echoed messages', JSON.stringify(echoed.map((m) => m.message)), '["one","two","three"]');
  const echoReceived = await frameLines(echo, 'received');
  expectEqual('frames received for the stream', echoReceived.map((f) => f.kind).join(','), 'data,data,data,trailers');

  // The Dummy service: a list (possibly empty: the database may have no rows) and a get.
  const list = await call('ListDummies', '#list-dummies');
  const dummies = JSON.parse(await list.locator('.result').textContent());
  expectEqual('ListDummies gives an array', Array.isArray(dummies), true);
  expectEqual('at most 5 of them', dummies.length <= 5, true);
  expectEqual('its last frame is the trailers', (await frameLines(list, 'received')).at(-1)?.kind, 'trailers');
  if (dummies.length > 0) {
    await page.fill('#dummy-id', dummies[0].id);
    const got = await call('GetDummy', '#get-dummy');
    expectEqual('GetDummy answers the first listed one', JSON.parse(await got.locator('.result').textContent()).id, dummies[0].id);
  }
  // An unknown id: the status NOT_FOUND (5) is shown as an error.
  await page.fill('#dummy-id', '424242');
  const missing = await call('GetDummy', '#get-dummy');
  const missingResult = await missing.locator('.result').textContent();
  expectEqual('an unknown id is NOT_FOUND', missingResult.startsWith('error: grpc-status 5'), true);
  console.log('browser checks passed');
} finally {
  await close();
}
