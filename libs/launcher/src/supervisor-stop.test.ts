import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import type { ManagedProcess } from './managed-process.js';
import { formatPrefix } from './output-format.js';
import type { ExitStatus } from './process-spec.js';
import { Supervisor } from './supervisor.js';
import { isGone, makeScriptDir, nodeSpec, waitUntilGone } from './test-fixtures.js';

const scripts = makeScriptDir();
after(() => scripts.remove());

const READY = { logLine: /^ready$/ };
const ignoreProgress = (): void => undefined;

// On SIGTERM appends its NAME to ORDER_FILE, then exits 0.
const politeChild = scripts.write(
  'polite.mjs',
  `import { appendFileSync } from 'node:fs';
process.on('SIGTERM', () => {
  console.log('got SIGTERM');
  if (process.env.ORDER_FILE) appendFileSync(process.env.ORDER_FILE, process.env.NAME + '\\n');
  process.exit(0);
});
console.log('ready');
setInterval(() => {}, 1000);
`,
);

const stubbornChild = scripts.write(
  'stubborn.mjs',
  `process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
console.log('ready');
setInterval(() => {}, 1000);
`,
);

function newSupervisor(): Supervisor {
  const supervisor = new Supervisor({ quiet: true });
  after(() => supervisor.stopAll({ signal: 'SIGKILL' }));
  return supervisor;
}

describe('Supervisor stop, restart, stopAll', () => {
  test('stop sends SIGTERM, which the child honours', async () => {
    const supervisor = newSupervisor();
    const unexpected: string[] = [];
    supervisor.onUnexpectedExit((proc) => unexpected.push(proc.name));
    const proc = await supervisor.start(nodeSpec('polite', politeChild, { ready: READY }));
    const status = await supervisor.stop('polite');
    assert.deepEqual(status, { code: 0, signal: null });
    assert.deepEqual(proc.output(), ['ready', 'got SIGTERM']);
    assert.equal(proc.running, false);
    assert.deepEqual(await proc.exited, status);
    assert.deepEqual(unexpected, [], 'a requested stop is not an unexpected exit');
  });

  test('a child that ignores SIGTERM gets SIGKILL after the timeout', async () => {
    const supervisor = newSupervisor();
    const proc = await supervisor.start(nodeSpec('stubborn', stubbornChild, { ready: READY }));
    const started = Date.now();
    const status = await supervisor.stop('stubborn', { timeoutMs: 300 });
    const elapsed = Date.now() - started;
    assert.deepEqual(status, { code: null, signal: 'SIGKILL' });
    assert.ok(elapsed >= 300, `SIGKILL came after ${elapsed} ms, before the 300 ms timeout`);
    assert.ok(proc.output().includes('ignoring SIGTERM'), 'it did receive SIGTERM first');
    assert.ok(supervisor.captured().some((line) => line.startsWith('! stubborn did not stop within 0.3 s of SIGTERM; sending SIGKILL')));
    assert.ok(isGone(proc.pid));
  });

  test('stop with SIGKILL kills at once; stopping a stopped process just reports its exit', async () => {
    const supervisor = newSupervisor();
    const proc = await supervisor.start(nodeSpec('stubborn', stubbornChild, { ready: READY }));
    const status = await supervisor.stop('stubborn', { signal: 'SIGKILL' });
    assert.deepEqual(status, { code: null, signal: 'SIGKILL' });
    assert.deepEqual(await supervisor.stop('stubborn'), status);
    assert.ok(!proc.output().includes('ignoring SIGTERM'));
    await assert.rejects(supervisor.stop('nobody'), /No process named "nobody".*known: stubborn/);
  });

  test('restart stops the old process and starts a new one from the same spec', async () => {
    const supervisor = newSupervisor();
    const first = await supervisor.start(nodeSpec('restartable', politeChild, { ready: READY }));
    await assert.rejects(supervisor.start(first.spec), /restartable is already running .*call restart/);
    const second = await supervisor.restart('restartable');
    assert.notEqual(second.pid, first.pid);
    assert.equal(first.running, false);
    assert.ok(await waitUntilGone(first.pid, 1_000));
    assert.equal(second.running, true);
    assert.deepEqual(second.output(), ['ready']);
    assert.equal(supervisor.get('restartable'), second);
    assert.deepEqual(supervisor.list(), [second]);
  });

  test('stopAll stops in reverse start order, one after the other', async () => {
    const supervisor = newSupervisor();
    const orderFile = scripts.path('stop-order.txt');
    const spec = (name: string) => nodeSpec(name, politeChild, { ready: READY, env: { NAME: name, ORDER_FILE: orderFile } });
    await supervisor.startAll([spec('control-plane'), [spec('reviews'), spec('ratings')], spec('gateway')], { onProgress: ignoreProgress });
    // A restart keeps its place in the order: the control plane still stops last.
    await supervisor.restart('control-plane');
    const pids = supervisor.list().map((proc) => proc.pid);
    await supervisor.stopAll();
    // The first line is from the restart; then stopAll: last started first.
    assert.equal(readFileSync(orderFile, 'utf8'), 'control-plane\ngateway\nratings\nreviews\ncontrol-plane\n');
    for (const pid of pids) assert.ok(isGone(pid));
  });

  test('startAll runs stages in order and the specs of a stage in parallel, with progress lines', async () => {
    const supervisor = newSupervisor();
    const marker = (name: string) => scripts.path(`${name}.marker`);
    // "waits-for-peer" becomes ready only once "peer" has started: impossible unless they start together.
    const waitsForPeer = scripts.write(
      'waits-for-peer.mjs',
      `import { existsSync, writeFileSync } from 'node:fs';
const timer = setInterval(() => {
  if (!existsSync(${JSON.stringify(marker('peer'))})) return;
  clearInterval(timer);
  writeFileSync(${JSON.stringify(marker('waits-for-peer'))}, 'ready');
  console.log('ready');
}, 20);
setInterval(() => {}, 1000);
`,
    );
    const peer = scripts.write(
      'peer.mjs',
      `import { writeFileSync } from 'node:fs';
writeFileSync(${JSON.stringify(marker('peer'))}, 'started');
console.log('ready');
setInterval(() => {}, 1000);
`,
    );
    const later = scripts.write(
      'later.mjs',
      `import { existsSync } from 'node:fs';
console.log('previous stage ready: ' + existsSync(${JSON.stringify(marker('waits-for-peer'))}));
setInterval(() => {}, 1000);
`,
    );
    const progress: string[] = [];
    const started = await supervisor.startAll(
      [[nodeSpec('waits-for-peer', waitsForPeer, { ready: READY, readyTimeoutMs: 3_000 }), nodeSpec('peer', peer, { ready: READY })], nodeSpec('later', later, { ready: { logLine: /previous stage/ } })],
      { onProgress: (line) => progress.push(line) },
    );
    assert.deepEqual(started.map((proc) => proc.name), ['waits-for-peer', 'peer', 'later']);
    assert.deepEqual(supervisor.get('later')?.output(), ['previous stage ready: true']);
    assert.equal(progress.length, 3);
    for (const line of progress) assert.match(line, /^✔ (waits-for-peer|peer|later) ready \(\d+\.\d s\)$/);
    assert.match(progress[2] ?? '', /^✔ later ready/);
  });

  test('startAll stops at a failing stage and reports it', async () => {
    const supervisor = newSupervisor();
    const failing = scripts.write('fails.mjs', `console.error('cannot bind'); process.exit(2);`);
    const progress: string[] = [];
    await assert.rejects(
      supervisor.startAll([nodeSpec('ok', politeChild, { ready: READY }), nodeSpec('fails', failing, { ready: READY }), nodeSpec('never', politeChild)], {
        onProgress: (line) => progress.push(line),
      }),
      /fails exited with code 2 before it became ready[\s\S]*cannot bind/,
    );
    assert.equal(progress.length, 2);
    assert.match(progress[0] ?? '', /^✔ ok ready/);
    assert.match(progress[1] ?? '', /^✖ fails exited with code 2 before it became ready/);
    assert.equal(supervisor.get('never'), undefined, 'later stages are not started');
    assert.equal(supervisor.get('ok')?.running, true, 'what did start keeps running for the caller to stop');
    await assert.rejects(supervisor.startAll([nodeSpec('x', politeChild), nodeSpec('x', politeChild)]), /"x" appears twice/);
  });
});

describe('unexpected exits and output', () => {
  test('a child that dies after it was ready is reported, not restarted', async () => {
    const supervisor = newSupervisor();
    const crashing = scripts.write(
      'crashes-later.mjs',
      `console.log('ready');
setTimeout(() => { console.error('something broke'); process.exit(7); }, 100);
`,
    );
    const exits: Array<[ManagedProcess, ExitStatus]> = [];
    const reported = new Promise<void>((resolve) =>
      supervisor.onUnexpectedExit((proc, status) => {
        exits.push([proc, status]);
        resolve();
      }),
    );
    const proc = await supervisor.start(nodeSpec('crashy', crashing, { ready: READY }));
    await reported;
    assert.equal(exits.length, 1);
    assert.equal(exits[0]?.[0], proc);
    assert.deepEqual(exits[0]?.[1], { code: 7, signal: null });
    const captured = supervisor.captured();
    const report = captured.indexOf('✖ crashy exited with code 7; its last lines:');
    assert.ok(report >= 0, captured.join('\n'));
    assert.deepEqual(captured.slice(report + 1), ['  │ ready', '  │ something broke']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(supervisor.get('crashy'), proc, 'not restarted');
    assert.equal(proc.running, false);
  });

  test('a raw kill() counts as unexpected and names the signal', async () => {
    const seen: ExitStatus[] = [];
    const supervisor = new Supervisor({ quiet: true, onUnexpectedExit: (_proc, status) => seen.push(status) });
    after(() => supervisor.stopAll({ signal: 'SIGKILL' }));
    const proc = await supervisor.start(nodeSpec('victim', stubbornChild, { ready: READY }));
    assert.equal(proc.kill('SIGKILL'), true);
    await proc.exited;
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(seen, [{ code: null, signal: 'SIGKILL' }]);
    assert.ok(supervisor.captured().includes('✖ victim was killed by SIGKILL; its last lines:'));
    assert.equal(proc.kill('SIGKILL'), false, 'nothing to kill any more');
  });

  test('prefixOutput pads the names so the bars line up; colour is off when asked', async () => {
    const lines: string[] = [];
    const supervisor = new Supervisor({ log: (line) => lines.push(line), prefixOutput: true, color: false });
    after(() => supervisor.stopAll({ signal: 'SIGKILL' }));
    const hello = scripts.write('hello.mjs', `console.log('hello from ' + process.env.WHO); console.error('ready'); setInterval(() => {}, 1000);`);
    await supervisor.startAll(
      [nodeSpec('cp', hello, { env: { WHO: 'cp' }, ready: READY }), nodeSpec('reviews-v1', hello, { env: { WHO: 'reviews' }, ready: READY })],
      { onProgress: ignoreProgress },
    );
    await supervisor.stopAll();
    assert.ok(lines.includes('cp         │ hello from cp'), lines.join('\n'));
    assert.ok(lines.includes('reviews-v1 │ hello from reviews'), lines.join('\n'));
    assert.ok(lines.includes('cp         │ ready'));
  });

  test('colour is on when asked, and without prefixOutput lines are printed as they are', async () => {
    const coloured: string[] = [];
    const a = new Supervisor({ log: (line) => coloured.push(line), prefixOutput: true, color: true });
    const plain: string[] = [];
    const b = new Supervisor({ log: (line) => plain.push(line) });
    after(() => Promise.all([a.stopAll({ signal: 'SIGKILL' }), b.stopAll({ signal: 'SIGKILL' })]));
    const script = scripts.write('say.mjs', `console.log('ready'); setInterval(() => {}, 1000);`);
    await a.start(nodeSpec('say', script, { ready: READY }));
    await b.start(nodeSpec('say', script, { ready: READY }));
    assert.equal(coloured[0], `${formatPrefix('say', 3, true)}ready`);
    assert.notEqual(formatPrefix('say', 3, true), formatPrefix('say', 3, false));
    assert.deepEqual(plain, ['ready']);
  });
});

describe('Supervisor restartOnExit', () => {
  // Exits with code 3 right after "ready" on its first RUNS_BEFORE_STABLE starts (counted in a file), then stays up.
  const crashy = scripts.write(
    'crashy.mjs',
    `import { existsSync, readFileSync, writeFileSync } from 'node:fs';
const file = process.env.COUNT_FILE;
const n = existsSync(file) ? Number(readFileSync(file, 'utf8')) + 1 : 1;
writeFileSync(file, String(n));
console.log('ready');
if (n <= Number(process.env.RUNS_BEFORE_STABLE)) setTimeout(() => process.exit(3), 20);
else setInterval(() => {}, 1000);
`,
  );

  test('a crashed process is started again with a doubling pause, and says so', async () => {
    const supervisor = new Supervisor({ quiet: true, restartOnExit: { initialDelayMs: 100, maxDelayMs: 1_000, resetAfterMs: 60_000 } });
    after(() => supervisor.stopAll({ signal: 'SIGKILL' }));
    const countFile = scripts.write('count-1.txt', '');
    const spec = nodeSpec('crashy', crashy, { ready: READY, env: { COUNT_FILE: countFile, RUNS_BEFORE_STABLE: '3' } });
    const started = Date.now();
    await supervisor.start(spec);
    const deadline = Date.now() + 10_000;
    while (!supervisor.captured().some((l) => l.startsWith('✔ crashy restarted')) || readFileSync(countFile, 'utf8') !== '4') {
      assert.ok(Date.now() < deadline, `no stable restart: ${supervisor.captured().join(' | ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const restarts = supervisor.captured().filter((l) => l.startsWith('↻'));
    assert.deepEqual(restarts, ['↻ restarting crashy in 0.1 s (restart 1 in a row)', '↻ restarting crashy in 0.2 s (restart 2 in a row)', '↻ restarting crashy in 0.4 s (restart 3 in a row)']);
    assert.ok(Date.now() - started >= 700, 'the pauses added up');
    assert.equal(supervisor.get('crashy')?.running, true);
  });

  test('stopAll cancels a restart that is due, and a requested stop is not restarted', async () => {
    const supervisor = new Supervisor({ quiet: true, restartOnExit: { initialDelayMs: 300, maxDelayMs: 1_000, resetAfterMs: 60_000 } });
    const countFile = scripts.write('count-2.txt', '');
    await supervisor.start(nodeSpec('crashy', crashy, { ready: READY, env: { COUNT_FILE: countFile, RUNS_BEFORE_STABLE: '1' } }));
    while (!supervisor.captured().some((l) => l.startsWith('↻'))) await new Promise((r) => setTimeout(r, 10));
    await supervisor.stopAll();
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(readFileSync(countFile, 'utf8'), '1', 'not started again after stopAll');
    const polite = new Supervisor({ quiet: true, restartOnExit: { initialDelayMs: 10, maxDelayMs: 10, resetAfterMs: 60_000 } });
    await polite.start(nodeSpec('polite', politeChild, { ready: READY }));
    await polite.stop('polite');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(polite.get('polite')?.running, false);
    assert.ok(!polite.captured().some((l) => l.startsWith('↻')));
  });
});
