import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { createApp } from './app.js';
import type { RequestStats } from './request-stats.js';
import { listen, type Listening } from './test-support.js';

let ratings: Listening;
before(async () => {
  ratings = await listen(createApp());
});
after(() => ratings.close());

const stats = async (): Promise<RequestStats> => (await (await request(`${ratings.url}/admin/stats`)).body.json()) as RequestStats;

test('GET /admin/stats counts ratings requests by path and Host; POST /admin/stats/reset zeroes them', async () => {
  await (await request(`${ratings.url}/admin/stats/reset`, { method: 'POST' })).body.dump();
  for (const host of ['ratings:9080', 'ratings:9080', 'ratings-shadow:9080']) await (await request(`${ratings.url}/ratings/0`, { headers: { host } })).body.dump();
  await (await request(`${ratings.url}/healthz`)).body.dump();
  const s = await stats();
  assert.equal(s.requests, 3);
  assert.deepEqual(s.byPath, { '/ratings/0': 3 });
  assert.deepEqual(s.hosts, { 'ratings:9080': 2, 'ratings-shadow:9080': 1 });
  await (await request(`${ratings.url}/admin/stats/reset`, { method: 'POST' })).body.dump();
  assert.equal((await stats()).requests, 0);
});
