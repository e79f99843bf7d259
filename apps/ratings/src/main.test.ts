import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { request } from 'undici';
import * as grpc from '@grpc/grpc-js';
import { freePorts } from '@skiff/launcher';
import { ratingsClient, type GetRatingsResponse } from '@skiff/sample-kit';
import { REPO_ROOT, startAppProcess } from './test-support.js';

const ENTRY = 'apps/ratings/src/main.ts';

test('main prints exactly {"msg":"listening","port":N}, serves, and exits 0 on SIGTERM', async () => {
  const app = await startAppProcess(ENTRY, {});
  try {
    assert.equal(app.stdout[0], JSON.stringify({ msg: 'listening', port: app.port }));
    const res = await request(`${app.url}/ratings/3`);
    assert.deepEqual(await res.body.json(), { id: 3, ratings: { Reviewer1: 5, Reviewer2: 4 } });
  } finally {
    assert.deepEqual(await app.stop(), { code: 0, signal: null });
  }
});

test('one port serves HTTP/JSON and gRPC (GetRatings), both counted in the demo stats', async () => {
  const [adminPort] = (await freePorts(1)) as [number];
  const app = await startAppProcess(ENTRY, { ADMIN_PORT: String(adminPort) });
  const client = ratingsClient(`127.0.0.1:${app.port}`, { authority: 'ratings:9080' });
  try {
    const call = (productId: number) =>
      new Promise<{ error: grpc.ServiceError | null; response?: GetRatingsResponse }>((resolve) => {
        const metadata = new grpc.Metadata();
        metadata.set('x-request-id', `grpc-${productId}`);
        client.getRatings({ productId }, metadata, { deadline: Date.now() + 5_000 }, (error, response) => resolve({ error, ...(response ? { response } : {}) }));
      });
    assert.deepEqual((await call(7)).response, { id: 7, ratings: { Reviewer1: 5, Reviewer2: 4 } });
    const bad = await call(-1);
    assert.equal(bad.error?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(bad.error?.details ?? '', /product_id must be a non-negative integer, got -1/);
    // HTTP/1.1 on the same port, after gRPC: the split is per connection.
    const res = await request(`${app.url}/ratings/3`);
    assert.deepEqual(await res.body.json(), { id: 3, ratings: { Reviewer1: 5, Reviewer2: 4 } });
    const stats = (await (await request(`http://127.0.0.1:${adminPort}/admin/stats`)).body.json()) as { requests: number; byPath: Record<string, number>; hosts: Record<string, number> };
    assert.deepEqual(stats.byPath, { '/skiff.samples.ratings.v1.Ratings/GetRatings': 2, '/ratings/3': 1 });
    assert.equal(stats.hosts['ratings:9080'], 2);
    const last = (await (await request(`http://127.0.0.1:${adminPort}/admin/last-request`)).body.json()) as { url: string };
    assert.equal(last.url, '/ratings/3');
  } finally {
    client.close();
    assert.deepEqual(await app.stop(), { code: 0, signal: null });
  }
});

test('main exits when its parent closes the IPC channel, so no orphan is left behind', async () => {
  const app = await startAppProcess(ENTRY, {});
  app.child.disconnect();
  const timeout = new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 5_000).unref());
  const outcome = await Promise.race([app.exited, timeout]);
  if (outcome === 'still running') app.child.kill('SIGKILL');
  assert.deepEqual(outcome, { code: 0, signal: null });
});

test('main refuses a bad PORT with exit code 2 and a message naming the variable', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', ENTRY], { cwd: REPO_ROOT, env: { ...process.env, PORT: 'eighty' }, encoding: 'utf8', timeout: 20_000 });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /ratings: PORT must be a TCP port number .* got "eighty"/);
});
