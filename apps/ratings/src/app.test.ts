import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import * as grpc from '@grpc/grpc-js';
import { grpcBesideHttp, ratingsClient } from '@skiff/sample-kit';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { once } from 'node:events';
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

describe('ratings told to misbehave (FAIL_PERCENT, EXTRA_LATENCY_MS, POST /admin/behaviour)', () => {
  test('failPercent fails HTTP with 503 and gRPC with UNAVAILABLE, decided by the random source; latency is added to both', async () => {
    let next = 0.9;
    const apps = createApp({ failPercent: 50, random: () => next });
    const admin = await listen(apps.admin);
    const split = await grpcBesideHttp(createServer(apps.app), apps.grpc);
    await new Promise<void>((resolve) => split.front.listen(0, '127.0.0.1', resolve));
    const port = (split.front.address() as AddressInfo).port;
    const client = ratingsClient(`127.0.0.1:${port}`);
    const call = () => new Promise<grpc.ServiceError | null>((resolve) => client.getRatings({ productId: 1 }, new grpc.Metadata(), {}, (error) => resolve(error)));
    try {
      assert.equal((await request(`http://127.0.0.1:${port}/ratings/1`)).statusCode, 200, 'random 0.9 is above 50%');
      assert.equal(await call(), null);
      next = 0.1;
      const failed = await request(`http://127.0.0.1:${port}/ratings/1`);
      assert.equal(failed.statusCode, 503);
      assert.match(((await failed.body.json()) as { message: string }).message, /ratings failed on purpose: failPercent is 50/);
      const error = await call();
      assert.equal(error?.code, grpc.status.UNAVAILABLE);
      assert.match(error?.details ?? '', /failPercent is 50/);

      const set = await request(`${admin.url}/admin/behaviour`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ failPercent: 0, extraLatencyMs: 150 }) });
      assert.deepEqual(await set.body.json(), { failPercent: 0, extraLatencyMs: 150 });
      const started = performance.now();
      assert.equal(await call(), null);
      assert.ok(performance.now() - started >= 150, 'the extra latency delays the gRPC answer');
      const bad = await request(`${admin.url}/admin/behaviour`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ failPercent: 101 }) });
      assert.equal(bad.statusCode, 400);
      assert.match(((await bad.body.json()) as { message: string }).message, /failPercent must be a number from 0 to 100, got 101/);
    } finally {
      client.close();
      await new Promise<void>((resolve) => split.front.close(() => resolve()));
      await split.close(0);
      admin.close();
    }
  });
});

test('one port for both: a client that never says which protocol it speaks is closed after the first-bytes timeout', async () => {
  const apps = createApp();
  const split = await grpcBesideHttp(createServer(apps.app), apps.grpc, { firstBytesTimeoutMs: 150 });
  await new Promise<void>((resolve) => split.front.listen(0, '127.0.0.1', resolve));
  const port = (split.front.address() as AddressInfo).port;
  try {
    const silent = connect(port, '127.0.0.1');
    silent.on('error', () => undefined);
    const started = performance.now();
    await once(silent, 'close');
    assert.ok(performance.now() - started >= 100, 'closed by the timeout, not at once');
    // A client that speaks in time is served.
    const res = await request(`http://127.0.0.1:${port}/ratings/2`);
    assert.deepEqual(await res.body.json(), { id: 2, ratings: { Reviewer1: 5, Reviewer2: 4 } });
  } finally {
    await new Promise<void>((resolve) => {
      split.front.close(() => resolve());
      void split.close(0);
    });
  }
});

