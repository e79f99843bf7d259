import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createExternalStandin } from './external-standin.js';

describe("the external stand-in answers httpbin's paths the egress lab uses", () => {
  const server = createExternalStandin();
  let base = '';
  before(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  test('/status/<code> answers that status; 1xx as 200, out of range as 404', async () => {
    assert.deepEqual(await Promise.all(['/status/200', '/status/418', '/status/503', '/status/100', '/status/600', '/status/20'].map(async (p) => (await fetch(base + p)).status)), [200, 418, 503, 200, 404, 404]);
  });

  test('/headers and /get echo what arrived, as JSON', async () => {
    const headers = (await (await fetch(`${base}/headers`, { headers: { 'x-lab': 'egress' } })).json()) as { headers: Record<string, string> };
    assert.equal(headers.headers['x-lab'], 'egress');
    const get = (await (await fetch(`${base}/get?a=1`)).json()) as { url: string };
    assert.equal(get.url, `${base}/get?a=1`);
  });

  test('other methods are 405 with Allow; other paths 404 with what exists', async () => {
    const post = await fetch(`${base}/get`, { method: 'POST', body: 'x' });
    assert.deepEqual([post.status, post.headers.get('allow')], [405, 'GET, HEAD']);
    const missing = await fetch(`${base}/nothing`);
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /answers \/status\/<code>, \/headers and \/get/);
  });
});
