// /rpc: the page makes an XML-RPC and a JSON-RPC call by itself, then one of each from the form.
// Usage: node rpc.mjs http://127.0.0.1:PORT
import { openPage, expectEqual } from './browser.mjs';

const base = process.argv[2];
const { page, close } = await openPage(`${base}/rpc`);
try {
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });

  const row = (protocol, procedure) => page.locator(`#log tr[data-protocol="${protocol}"][data-procedure="${procedure}"]`).first();
  expectEqual('XML-RPC upper on load', await row('XML-RPC', 'upper').locator('.result').textContent(), '"HELLO"');
  expectEqual('JSON-RPC add on load', await row('JSON-RPC', 'add').locator('.result').textContent(), '5');
  const sent = await row('XML-RPC', 'upper').locator('.sent').textContent();
  const received = await row('XML-RPC', 'upper').locator('.received').textContent();
  expectEqual('the XML request is shown', sent.includes('<methodName>upper</methodName>'), true);
  expectEqual('the XML response is shown', received.includes('<methodResponse>'), true);

  await page.selectOption('#procedure', 'reverse');
  await page.fill('#args', '["live"]');
  await page.click('#call-xml');
  await row('XML-RPC', 'reverse').waitFor();
  expectEqual('XML-RPC reverse from the form', await row('XML-RPC', 'reverse').locator('.result').textContent(), '"evil"');
  await page.click('#call-json');
  await row('JSON-RPC', 'reverse').waitFor();
  expectEqual('JSON-RPC reverse from the form', await row('JSON-RPC', 'reverse').locator('.result').textContent(), '"evil"');
  const jsonSent = await row('JSON-RPC', 'reverse').locator('.sent').textContent();
  expectEqual('the JSON request is shown', JSON.parse(jsonSent).method, 'reverse');

  await page.selectOption('#procedure', 'dummies.get');
  await page.fill('#args', '[424242]');
  await page.click('#call-json');
  await row('JSON-RPC', 'dummies.get').waitFor();
  const fault = await row('JSON-RPC', 'dummies.get').locator('.result').textContent();
  expectEqual('a fault is shown', fault.startsWith('fault') && fault.includes('"code":1'), true);
  console.log('browser checks passed');
} finally {
  await close();
}
