import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { Supervisor } from './supervisor.js';
import {
  exitOf,
  isGone,
  killQuietly,
  launcherUrl,
  makeScriptDir,
  nodeSpec,
  repoRoot,
  tsxSpec,
  waitForStdoutLine,
  waitUntilGone,
} from './test-fixtures.js';

const scripts = makeScriptDir();
const supervisor = new Supervisor({ quiet: true });
after(async () => {
  await supervisor.stopAll({ signal: 'SIGKILL' });
  scripts.remove();
});

const READY = { logLine: /^ready$/ };

// A server that uses childLifecycle, as the control plane, proxies and sample apps do.
const lifecycleServer = scripts.write(
  'lifecycle-server.mjs',
  `import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { childLifecycle } from ${JSON.stringify(launcherUrl)};
const server = http.createServer((req, res) => res.end('ok'));
const mode = process.env.CLOSE_MODE ?? 'normal';
childLifecycle({
  deadlineMs: Number(process.env.DEADLINE_MS ?? 5000),
  close: async () => {
    console.log('closing');
    if (mode === 'hang') await new Promise(() => {});
    if (mode === 'throw') throw new Error('flush failed');
    await delay(100);
    await new Promise((resolve) => server.close(resolve));
    console.log('closed');
  },
});
server.listen(0, '127.0.0.1', () => console.log('ready'));
`,
);

// The same server without childLifecycle: nothing makes it notice that its parent died.
const plainServer = scripts.write(
  'plain-server.mjs',
  `import http from 'node:http';
http.createServer((req, res) => res.end('ok')).listen(0, '127.0.0.1', () => console.log('ready'));
`,
);

// An intermediate parent: starts GRANDCHILD through a Supervisor, prints its pid, then idles.
const intermediateParent = scripts.write(
  'intermediate-parent.mjs',
  `import { Supervisor } from ${JSON.stringify(launcherUrl)};
const supervisor = new Supervisor({ quiet: true });
const proc = await supervisor.start({
  name: 'grandchild',
  command: process.execPath,
  args: ['--import', 'tsx', process.env.GRANDCHILD],
  cwd: ${JSON.stringify(repoRoot)},
  ready: { logLine: /^ready$/ },
});
console.log('grandchild pid ' + proc.pid);
setInterval(() => {}, 1000);
`,
);

/** Starts the intermediate parent, returns it and its grandchild's pid once that is ready. */
async function startIntermediate(grandchild: string) {
  const parent = spawn(process.execPath, ['--import', 'tsx', intermediateParent], {
    cwd: repoRoot,
    env: { ...process.env, GRANDCHILD: grandchild },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  after(() => killQuietly(parent.pid));
  const line = await waitForStdoutLine(parent, /^grandchild pid \d+$/, 15_000);
  const grandchildPid = Number(line.split(' ').at(-1));
  after(() => killQuietly(grandchildPid));
  return { parent, grandchildPid };
}

describe('childLifecycle', () => {
  test('the child exits when its parent is SIGKILLed (the IPC channel disconnects)', async () => {
    const { parent, grandchildPid } = await startIntermediate(lifecycleServer);
    assert.equal(isGone(grandchildPid), false, 'the grandchild runs while its parent does');
    parent.kill('SIGKILL');
    await exitOf(parent);
    assert.ok(await waitUntilGone(grandchildPid, 2_000), `grandchild ${grandchildPid} still runs 2 s after its parent died`);
  });

  test('control: without childLifecycle the same child outlives a SIGKILLed parent', async () => {
    const { parent, grandchildPid } = await startIntermediate(plainServer);
    parent.kill('SIGKILL');
    await exitOf(parent);
    assert.equal(await waitUntilGone(grandchildPid, 2_000), false, 'so the test above is not passing by accident');
    killQuietly(grandchildPid);
  });

  test('SIGTERM runs close, then the child exits 0', async () => {
    const proc = await supervisor.start(tsxSpec('graceful', lifecycleServer, { ready: READY }));
    const status = await supervisor.stop('graceful');
    assert.deepEqual(status, { code: 0, signal: null });
    assert.deepEqual(proc.output(), ['ready', 'closing', 'closed']);
  });

  test('a close that hangs past the deadline ends with exit code 1', async () => {
    const proc = await supervisor.start(tsxSpec('hangs', lifecycleServer, { ready: READY, env: { CLOSE_MODE: 'hang', DEADLINE_MS: '300' } }));
    const started = Date.now();
    const status = await supervisor.stop('hangs', { timeoutMs: 10_000 });
    const elapsed = Date.now() - started;
    assert.deepEqual(status, { code: 1, signal: null }, 'it exited by itself, not by our SIGKILL');
    assert.ok(elapsed >= 300 && elapsed < 5_000, `exited after ${elapsed} ms; the deadline was 300 ms`);
    assert.ok(proc.output().includes('received SIGTERM: close did not finish within 300 ms; exiting anyway'), proc.output().join('\n'));
  });

  test('a close that throws ends with exit code 1 and says why', async () => {
    const proc = await supervisor.start(tsxSpec('throws', lifecycleServer, { ready: READY, env: { CLOSE_MODE: 'throw' } }));
    const status = await supervisor.stop('throws');
    assert.deepEqual(status, { code: 1, signal: null });
    assert.ok(proc.output().some((line) => line.startsWith('received SIGTERM: close failed: Error: flush failed')), proc.output().join('\n'));
  });

  test('the IPC channel does not keep a finished child alive', async () => {
    const script = scripts.write(
      'finishes.mjs',
      `import { childLifecycle } from ${JSON.stringify(launcherUrl)};
childLifecycle();
console.log('nothing left to do');
`,
    );
    const proc = await supervisor.start(tsxSpec('finishes', script));
    const timeout = new Promise((resolve) => setTimeout(resolve, 10_000, 'still running'));
    assert.deepEqual(await Promise.race([proc.exited, timeout]), { code: 0, signal: null });
  });

  test('plain children run under the Supervisor too (no IPC use needed)', async () => {
    const proc = await supervisor.start(nodeSpec('plain', plainServer, { ready: READY }));
    assert.deepEqual(await supervisor.stop('plain'), { code: null, signal: 'SIGTERM' });
    assert.ok(isGone(proc.pid));
  });
});
