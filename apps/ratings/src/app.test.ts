import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { createApp } from './app.js';
import { listen, type Listening } from './test-support.js';

describe('ratings app', () => {
  let ratings: Listening;
  before(async () => {
    ratings = await listen(createApp().app);
  });
  after(() => ratings.close());

  test('GET /ratings/:id answers the same stars for every product', async () => {
    for (const id of [0, 1, 42]) {
      const res = await request(`${ratings.url}/ratings/${id}`);
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /application\/json/);
      assert.deepEqual(await res.body.json(), { id, ratings: { Reviewer1: 5, Reviewer2: 4 } });
    }
  });

  test('a product id that is not a non-negative integer is a 400 with a JSON reason', async () => {
    const res = await request(`${ratings.url}/ratings/abc`);
    assert.equal(res.statusCode, 400);
    const body = (await res.body.json()) as { error: string; message: string };
    assert.equal(body.error, 'bad request');
    assert.match(body.message, /"abc"/);
  });

  test('echoes an incoming x-request-id and makes one when there is none', async () => {
    const given = await request(`${ratings.url}/ratings/0`, { headers: { 'x-request-id': 'req-123' } });
    await given.body.dump();
    assert.equal(given.headers['x-request-id'], 'req-123');

    const made = await request(`${ratings.url}/healthz`);
    assert.deepEqual(await made.body.json(), { status: 'ok', service: 'ratings' });
    assert.match(String(made.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });

  test('an unknown route is a JSON 404 that names the route', async () => {
    const res = await request(`${ratings.url}/nope`, { method: 'POST', headers: { 'x-request-id': 'r-404' } });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(await res.body.json(), { error: 'not found', message: 'ratings has no route for POST /nope', requestId: 'r-404' });
  });
});
