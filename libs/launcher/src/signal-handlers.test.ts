import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { exitOf, killQuietly, launcherUrl, makeScriptDir, repoRoot, waitForStdoutLine, waitUntilGone } from './test-fixtures.js';

const scripts = makeScriptDir();
after(() => scripts.remove());

// On SIGTERM appends its NAME to ORDER_FILE and exits.
const politeChild = scripts.write(
  'polite.mjs',
  `import { appendFileSync } from 'node:fs';
process.on('SIGTERM', () => { appendFileSync(process.env.ORDER_FILE, process.env.NAME + '\\n'); process.exit(0); });
console.log('ready');
setInterval(() => {}, 1000);
`,
);
const stubbornChild = scripts.write(
  'stubborn.mjs',
  `process.on('SIGTERM', () => {});
console.log('ready');
setInterval(() => {}, 1000);
`,
);

// What `skiff up` does: start everything, install the handlers, wait for Ctrl-C.
const upLikeParent = scripts.write(
  'up-like-parent.mjs',
  `import { Supervisor, installSignalHandlers } from ${JSON.stringify(launcherUrl)};
const supervisor = new Supervisor({ prefixOutput: true, color: false });
installSignalHandlers(supervisor, {
  stopTimeoutMs: Number(process.env.STOP_TIMEOUT_MS),
  onShutdown: (signal) => console.log('onShutdown ran after ' + signal),
});
const spec = (name) => ({
  name,
  command: process.execPath,
  args: [process.env.CHILD],
  env: { NAME: name, ORDER_FILE: process.env.ORDER_FILE },
  ready: { logLine: /^ready$/ },
});
const procs = await supervisor.startAll([spec('first'), spec('second')]);
console.log('PIDS ' + JSON.stringify(procs.map((p) => p.pid)));
`,
);

// A parent that ends without stopping its children: by an uncaught error, or process.exit.
const abruptParent = scripts.write(
  'abrupt-parent.mjs',
  `import { Supervisor } from ${JSON.stringify(launcherUrl)};
const supervisor = new Supervisor({ quiet: true });
const proc = await supervisor.start({ name: 'child', command: process.execPath, args: [process.env.CHILD], ready: { logLine: /^ready$/ } });
console.log('PIDS ' + JSON.stringify([proc.pid]));
setTimeout(() => {
  if (process.env.HOW === 'throw') throw new Error('boom: an uncaught error in the parent');
  process.exit(0);
}, 50);
`,
);

function startParent(script: string, env: Record<string, string>) {
  const parent = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  parent.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  parent.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  after(() => killQuietly(parent.pid));
  return { parent, stdout: () => stdout, stderr: () => stderr };
}

async function childPids(parent: ReturnType<typeof startParent>['parent']): Promise<number[]> {
  const line = await waitForStdoutLine(parent, /^PIDS \[/, 15_000);
  const pids = JSON.parse(line.slice('PIDS '.length)) as number[];
  after(() => pids.forEach((pid) => killQuietly(pid)));
  return pids;
}

describe('installSignalHandlers', () => {
  test('SIGINT: "stopping…", children stopped in reverse order, onShutdown, exit 0', async () => {
    const orderFile = scripts.path('order.txt');
    const run = startParent(upLikeParent, { CHILD: politeChild, ORDER_FILE: orderFile, STOP_TIMEOUT_MS: '5000' });
    const pids = await childPids(run.parent);
    run.parent.kill('SIGINT');
    const status = await exitOf(run.parent);
    assert.deepEqual(status, { code: 0, signal: null }, run.stderr());
    assert.match(run.stdout(), /^✔ first ready \(\d+\.\d s\)$/m);
    assert.match(run.stdout(), /^stopping… \(SIGINT; press Ctrl-C again to kill everything at once\)$/m);
    assert.match(run.stdout(), /^onShutdown ran after SIGINT$/m);
    assert.equal(readFileSync(orderFile, 'utf8'), 'second\nfirst\n');
    for (const pid of pids) assert.ok(await waitUntilGone(pid, 2_000), `child ${pid} outlived the parent`);
  });

  test('a second SIGINT kills every child with SIGKILL at once', async () => {
    const run = startParent(upLikeParent, { CHILD: stubbornChild, ORDER_FILE: scripts.path('unused.txt'), STOP_TIMEOUT_MS: '30000' });
    const pids = await childPids(run.parent);
    run.parent.kill('SIGINT');
    await waitForStdoutLine(run.parent, /^stopping…/, 5_000);
    // The stubborn children ignore SIGTERM and the stop timeout is 30 s: only the second signal ends this quickly.
    const started = Date.now();
    run.parent.kill('SIGINT');
    const status = await exitOf(run.parent);
    assert.deepEqual(status, { code: 1, signal: null });
    assert.ok(Date.now() - started < 5_000);
    assert.match(run.stdout(), /^✖ SIGINT again: killed 2 processes with SIGKILL$/m);
    for (const pid of pids) assert.ok(await waitUntilGone(pid, 2_000), `child ${pid} outlived the parent`);
  });
});

describe('no child outlives its parent', () => {
  // The children here do not use childLifecycle, so only the parent's 'exit' handler can stop
  // them (child-lifecycle.test.ts shows such a child survives a parent killed by SIGKILL).
  for (const how of ['throw', 'exit'] as const) {
    test(`when the parent ends by ${how === 'throw' ? 'an uncaught error' : 'process.exit without stopAll'}`, async () => {
      const run = startParent(abruptParent, { CHILD: stubbornChild, HOW: how });
      const [pid] = await childPids(run.parent);
      const status = await exitOf(run.parent);
      if (how === 'throw') {
        assert.equal(status.code, 1);
        assert.match(run.stderr(), /boom: an uncaught error in the parent/);
      } else {
        assert.equal(status.code, 0);
      }
      assert.ok(pid !== undefined && (await waitUntilGone(pid, 2_000)), `child ${pid} outlived the parent`);
    });
  }
});
