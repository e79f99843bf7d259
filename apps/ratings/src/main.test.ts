import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { request } from 'undici';
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
