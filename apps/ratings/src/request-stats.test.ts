import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { createApp } from './app.js';
import type { RequestStats } from '@skiff/sample-kit';
import { listenWithAdmin, type Listening } from './test-support.js';

let ratings: Listening & { adminUrl: string };
before(async () => {
  ratings = await listenWithAdmin(createApp());
});
after(() => ratings.close());

const stats = async (): Promise<RequestStats> => (await (await request(`${ratings.adminUrl}/admin/stats`)).body.json()) as RequestStats;

test('GET /admin/stats counts ratings requests by path and Host; POST /admin/stats/reset zeroes them', async () => {
  await (await request(`${ratings.adminUrl}/admin/stats/reset`, { method: 'POST' })).body.dump();
  for (const host of ['ratings:9080', 'ratings:9080', 'ratings-shadow:9080']) await (await request(`${ratings.url}/ratings/0`, { headers: { host } })).body.dump();
  await (await request(`${ratings.url}/healthz`)).body.dump();
  const s = await stats();
  assert.equal(s.requests, 3);
  assert.deepEqual(s.byPath, { '/ratings/0': 3 });
  assert.deepEqual(s.hosts, { 'ratings:9080': 2, 'ratings-shadow:9080': 1 });
  await (await request(`${ratings.adminUrl}/admin/stats/reset`, { method: 'POST' })).body.dump();
  assert.equal((await stats()).requests, 0);
});

test('GET /admin/last-request shows the last counted request with the headers it arrived with; reset forgets it', async () => {
  await (await request(`${ratings.adminUrl}/admin/stats/reset`, { method: 'POST' })).body.dump();
  const none = await request(`${ratings.adminUrl}/admin/last-request`);
  assert.equal(none.statusCode, 404);
  assert.match(((await none.body.json()) as { message: string }).message, /no request served/);
  await (await request(`${ratings.url}/ratings/3`, { headers: { host: 'ratings:9080', authorization: 'Bearer abc' } })).body.dump();
  await (await request(`${ratings.url}/healthz`)).body.dump();
  const res = await request(`${ratings.adminUrl}/admin/last-request`);
  assert.equal(res.statusCode, 200);
  const last = (await res.body.json()) as { method: string; url: string; headers: Record<string, string> };
  assert.equal(last.method, 'GET');
  assert.equal(last.url, '/ratings/3', 'health checks are not the last request');
  assert.equal(last.headers['authorization'], 'Bearer abc');
  assert.equal(last.headers['x-request-id'], undefined, 'what arrived, before the app added its own request id');
  await (await request(`${ratings.adminUrl}/admin/stats/reset`, { method: 'POST' })).body.dump();
  const forgotten = await request(`${ratings.adminUrl}/admin/last-request`);
  assert.equal(forgotten.statusCode, 404);
  await forgotten.body.dump();
});
