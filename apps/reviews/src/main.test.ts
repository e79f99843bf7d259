import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { request } from 'undici';
import type { ReviewsBody } from './app.js';
import { REPO_ROOT, startAppProcess, startForwardProxy } from './test-support.js';

const ENTRY = 'apps/reviews/src/main.ts';

test('main wires SERVICE_VERSION, RATINGS_URL, RATINGS_PROTOCOL=http and SKIFF_OUTBOUND_PROXY, then exits 0 on SIGTERM', async () => {
  const ratings = await startAppProcess('apps/ratings/src/main.ts', {});
  const proxy = await startForwardProxy({ 'ratings:9080': ratings.url });
  const reviews = await startAppProcess(ENTRY, { SERVICE_VERSION: 'v2', SKIFF_OUTBOUND_PROXY: proxy.url, RATINGS_PROTOCOL: 'http', FAIL_PERCENT: '0' });
  try {
    assert.equal(reviews.stdout[0], JSON.stringify({ msg: 'listening', port: reviews.port }));
    const res = await request(`${reviews.url}/reviews/7`);
    const body = (await res.body.json()) as ReviewsBody;
    assert.equal(body.version, 'v2');
    assert.deepEqual(body.reviews.map((r) => r.rating?.stars), [5, 4]);
    assert.equal(proxy.seen[0]?.requestLine, 'GET http://ratings:9080/ratings/7 HTTP/1.1', 'default RATINGS_URL, through the proxy');
  } finally {
    assert.deepEqual(await reviews.stop(), { code: 0, signal: null });
    await proxy.close();
    await ratings.stop();
  }
});

test('main calls ratings over gRPC by default: the stars come from the real ratings process', async () => {
  const ratings = await startAppProcess('apps/ratings/src/main.ts', { ADMIN_PORT: 'off' });
  const reviews = await startAppProcess(ENTRY, { SERVICE_VERSION: 'v2', RATINGS_URL: ratings.url, ADMIN_PORT: 'off' });
  try {
    const body = (await (await request(`${reviews.url}/reviews/7`)).body.json()) as ReviewsBody;
    assert.deepEqual(body.reviews.map((r) => r.rating?.stars), [5, 4]);
    assert.equal(body.ratingsError, undefined);
  } finally {
    assert.deepEqual(await reviews.stop(), { code: 0, signal: null });
    await ratings.stop();
  }
  // ratings gone: the stars are missing and the reason says gRPC UNAVAILABLE, as HTTP 503.
  const alone = await startAppProcess(ENTRY, { SERVICE_VERSION: 'v2', RATINGS_URL: ratings.url, ADMIN_PORT: 'off', RATINGS_TIMEOUT_MS: '3000' });
  try {
    const body = (await (await request(`${alone.url}/reviews/7`)).body.json()) as ReviewsBody;
    assert.equal(body.ratingsError?.status, 503);
    assert.match(body.ratingsError?.message ?? '', /gRPC GetRatings\(7\) to 127\.0\.0\.1:\d+ failed: UNAVAILABLE/);
  } finally {
    await alone.stop();
  }
});

test('main refuses an unknown RATINGS_PROTOCOL with exit code 2', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', ENTRY], { cwd: REPO_ROOT, env: { ...process.env, RATINGS_PROTOCOL: 'carrier-pigeon' }, encoding: 'utf8', timeout: 20_000 });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /RATINGS_PROTOCOL must be one of grpc, http, got "carrier-pigeon"/);
});

test('main with FAIL_PERCENT=100 answers 500 to every /reviews request', async () => {
  const reviews = await startAppProcess(ENTRY, { FAIL_PERCENT: '100' });
  try {
    for (let i = 0; i < 3; i++) {
      const res = await request(`${reviews.url}/reviews/0`);
      assert.equal(res.statusCode, 500);
      await res.body.dump();
    }
  } finally {
    await reviews.stop();
  }
});

test('main exits when its parent closes the IPC channel', async () => {
  const reviews = await startAppProcess(ENTRY, {});
  reviews.child.disconnect();
  const timeout = new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 5_000).unref());
  const outcome = await Promise.race([reviews.exited, timeout]);
  if (outcome === 'still running') reviews.child.kill('SIGKILL');
  assert.deepEqual(outcome, { code: 0, signal: null });
});

test('main refuses a bad SERVICE_VERSION or FAIL_PERCENT with exit code 2 and says what to set', () => {
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', ENTRY], { cwd: REPO_ROOT, env: { ...process.env, PORT: '0', ...env }, encoding: 'utf8', timeout: 20_000 });
  const version = run({ SERVICE_VERSION: 'v9' });
  assert.equal(version.status, 2);
  assert.match(version.stderr, /reviews: SERVICE_VERSION must be one of v1, v2, got "v9"/);
  const fail = run({ FAIL_PERCENT: '150' });
  assert.equal(fail.status, 2);
  assert.match(fail.stderr, /FAIL_PERCENT must be a number from 0 to 100, got "150"/);
});

test('on SIGTERM main lets an in-flight request finish, then exits promptly', async () => {
  const reviews = await startAppProcess(ENTRY, { EXTRA_LATENCY_MS: '400' });
  const inFlight = request(`${reviews.url}/reviews/0`);
  await new Promise((resolve) => setTimeout(resolve, 150)); // the request is now waiting out its latency
  const started = Date.now();
  const exit = reviews.stop();
  const res = await inFlight;
  assert.equal(res.statusCode, 200);
  assert.equal(((await res.body.json()) as ReviewsBody).version, 'v1');
  assert.deepEqual(await exit, { code: 0, signal: null });
  assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms to stop`);
  assert.ok(!reviews.stdout.some((line) => line.includes('exiting anyway')), 'stopped before the deadline');
});
