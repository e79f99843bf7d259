import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { request } from 'undici';
import { REPO_ROOT, deadUrl, startAppProcess } from './test-support.js';

const ENTRY = 'apps/frontend/src/main.ts';

test('main prints the listening line, renders the page even with reviews down, and exits 0 on SIGTERM', async () => {
  const frontend = await startAppProcess(ENTRY, { REVIEWS_URL: await deadUrl() });
  try {
    assert.equal(frontend.stdout[0], JSON.stringify({ msg: 'listening', port: frontend.port }));
    const res = await request(`${frontend.url}/`);
    assert.equal(res.statusCode, 200);
    assert.match(await res.body.text(), /reviews unavailable \(status 502\)/);
  } finally {
    assert.deepEqual(await frontend.stop(), { code: 0, signal: null });
  }
  // The failure was logged as one JSON line with the request id.
  const warning = frontend.stdout.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry.msg === 'reviews unavailable');
  assert.equal(warning?.status, 502);
  assert.equal(warning?.component, 'frontend');
});

test('main exits when its parent closes the IPC channel', async () => {
  const frontend = await startAppProcess(ENTRY, {});
  frontend.child.disconnect();
  const timeout = new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 5_000).unref());
  const outcome = await Promise.race([frontend.exited, timeout]);
  if (outcome === 'still running') frontend.child.kill('SIGKILL');
  assert.deepEqual(outcome, { code: 0, signal: null });
});

test('main refuses a REVIEWS_URL that is not http:// with exit code 2', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', ENTRY], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: '0', REVIEWS_URL: 'https://reviews:9080' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /frontend: REVIEWS_URL must be an http:\/\/ URL/);
});
