import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { createApp } from './app.js';
import type { RequestStats } from '@skiff/sample-kit';
import { listenWithAdmin, type Listening } from './test-support.js';

let reviews: Listening & { adminUrl: string };
before(async () => {
  reviews = await listenWithAdmin(createApp({ version: 'v1' }));
});
after(() => reviews.close());

const stats = async (): Promise<RequestStats> => (await (await request(`${reviews.adminUrl}/admin/stats`)).body.json()) as RequestStats;
const get = async (path: string, host?: string) => (await request(`${reviews.url}${path}`, { headers: host ? { host } : {} })).body.dump();

test('GET /admin/stats counts served requests by path and Host; admin and health checks are not counted', async () => {
  await (await request(`${reviews.adminUrl}/admin/stats/reset`, { method: 'POST' })).body.dump();
  await get('/reviews/1', 'reviews:9080');
  await get('/reviews/1', 'reviews-shadow:9080');
  await get('/reviews/2', 'reviews:9080');
  await get('/healthz');
  await get('/admin/behaviour');
  const s = await stats();
  assert.equal(s.requests, 3);
  assert.deepEqual(s.byPath, { '/reviews/1': 2, '/reviews/2': 1 });
  assert.deepEqual(s.hosts, { 'reviews:9080': 2, 'reviews-shadow:9080': 1 });
  assert.equal(s.inFlight, 0);
  assert.equal(s.maxInFlight, 1);
});

test('maxInFlight sees concurrent requests, and POST /admin/stats/reset zeroes everything', async () => {
  await (await request(`${reviews.adminUrl}/admin/behaviour`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ extraLatencyMs: 100 }) })).body.dump();
  try {
    await (await request(`${reviews.adminUrl}/admin/stats/reset`, { method: 'POST' })).body.dump();
    await Promise.all([get('/reviews/1'), get('/reviews/1'), get('/reviews/1')]);
    assert.equal((await stats()).maxInFlight, 3);
  } finally {
    await (await request(`${reviews.adminUrl}/admin/behaviour`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ extraLatencyMs: 0 }) })).body.dump();
  }
  const reset = await request(`${reviews.adminUrl}/admin/stats/reset`, { method: 'POST' });
  assert.equal(reset.statusCode, 200);
  await reset.body.dump();
  assert.deepEqual(await stats(), { requests: 0, byPath: {}, hosts: {}, inFlight: 0, maxInFlight: 0 });
});

test('GET /admin/last-request shows the last counted request with the headers it arrived with; reset forgets it', async () => {
  await (await request(`${reviews.adminUrl}/admin/stats/reset`, { method: 'POST' })).body.dump();
  const none = await request(`${reviews.adminUrl}/admin/last-request`);
  assert.equal(none.statusCode, 404);
  assert.match(((await none.body.json()) as { message: string }).message, /no request served/);
  await (await request(`${reviews.url}/reviews/7?x=1`, { headers: { host: 'reviews:9080', 'x-jwt-payload': 'eyJzdWIiOiJhIn0' } })).body.dump();
  await get('/healthz');
  const res = await request(`${reviews.adminUrl}/admin/last-request`);
  assert.equal(res.statusCode, 200);
  const last = (await res.body.json()) as { method: string; url: string; headers: Record<string, string> };
  assert.equal(last.method, 'GET');
  assert.equal(last.url, '/reviews/7?x=1', 'health checks are not the last request');
  assert.equal(last.headers['host'], 'reviews:9080');
  assert.equal(last.headers['x-jwt-payload'], 'eyJzdWIiOiJhIn0');
  assert.equal(last.headers['x-request-id'], undefined, 'what arrived, before the app added its own request id');
  await (await request(`${reviews.adminUrl}/admin/stats/reset`, { method: 'POST' })).body.dump();
  const forgotten = await request(`${reviews.adminUrl}/admin/last-request`);
  assert.equal(forgotten.statusCode, 404);
  await forgotten.body.dump();
});
