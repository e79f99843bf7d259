import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { freePort } from './free-port.js';
import { ProcessStartError } from './start-error.js';
import { Supervisor } from './supervisor.js';
import { makeScriptDir, nodeSpec, waitUntilGone } from './test-fixtures.js';

const scripts = makeScriptDir();
const supervisor = new Supervisor({ quiet: true });
after(async () => {
  await supervisor.stopAll({ timeoutMs: 1_000 });
  scripts.remove();
});

// Answers 503 until READY_AFTER_MS have passed, then 200; says which on every request.
const slowHttpServer = scripts.write(
  'slow-http-server.mjs',
  `import http from 'node:http';
const started = Date.now();
const server = http.createServer((req, res) => {
  const status = Date.now() - started >= Number(process.env.READY_AFTER_MS) ? 200 : 503;
  console.log('served ' + status);
  res.writeHead(status).end();
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`,
);

describe('Supervisor.start readiness', () => {
  test('by URL: keeps polling through non-200 answers until HTTP 200', async () => {
    const port = await freePort();
    const proc = await supervisor.start(
      nodeSpec('http-ready', slowHttpServer, {
        env: { PORT: String(port), READY_AFTER_MS: '400' },
        ready: { url: `http://127.0.0.1:${port}/healthz` },
      }),
    );
    assert.ok(proc.output().includes('served 503'), `expected a 503 before ready; output: ${proc.output().join(' | ')}`);
    assert.ok((proc.readyAfterMs ?? 0) >= 400, `ready after ${proc.readyAfterMs} ms, before the server said 200`);
    const answer = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(answer.status, 200);
    await supervisor.stop('http-ready');
  });

  test('by log line: waits for the matching line (a /g pattern works too)', async () => {
    const script = scripts.write(
      'log-ready.mjs',
      `console.log('booting');
setTimeout(() => console.log('server ready on port 1234'), 300);
setInterval(() => {}, 1000);
`,
    );
    const proc = await supervisor.start(nodeSpec('log-ready', script, { ready: { logLine: /ready on port \d+/g } }));
    assert.deepEqual(proc.output(), ['booting', 'server ready on port 1234']);
    assert.ok((proc.readyAfterMs ?? 0) >= 250, `ready after ${proc.readyAfterMs} ms, before the line was printed`);
    await supervisor.stop('log-ready');
  });

  test('a line on stderr counts as well', async () => {
    const script = scripts.write('stderr-ready.mjs', `console.error('listening'); setInterval(() => {}, 1000);`);
    const proc = await supervisor.start(nodeSpec('stderr-ready', script, { ready: { logLine: /^listening$/ } }));
    assert.deepEqual(proc.output(), ['listening']);
    await supervisor.stop('stderr-ready');
  });

  test('timeout: rejects with the last 20 lines and stops the child', async () => {
    const script = scripts.write(
      'never-ready.mjs',
      `for (let i = 0; i < 30; i++) console.log('line ' + i);
setInterval(() => {}, 1000);
`,
    );
    let pid: number | undefined;
    supervisor.once('output', (proc) => (pid = proc.pid));
    const started = Date.now();
    const error = await supervisor
      .start(nodeSpec('never-ready', script, { ready: { logLine: /never/ }, readyTimeoutMs: 2_000 }))
      .then(
        () => assert.fail('start should have rejected'),
        (e: unknown) => e,
      );
    assert.ok(error instanceof ProcessStartError, String(error));
    assert.equal(error.failure, 'timeout');
    assert.ok(Date.now() - started >= 2_000);
    assert.match(error.message, /^never-ready did not become ready within 2\.0 s \(waiting for a log line matching \/never\/\)/);
    // The deadline is generous so that even a slow machine has printed all 30 lines by then.
    assert.deepEqual(error.lastLines, Array.from({ length: 20 }, (_, i) => `line ${i + 10}`), error.message);
    assert.match(error.message, /│ line 29/);
    assert.doesNotMatch(error.message, /│ line 9\n/);
    assert.match(error.message, /raise readyTimeoutMs/);
    assert.ok(pid !== undefined && (await waitUntilGone(pid, 2_000)), 'the child that never got ready was stopped');
  });

  test('timeout by URL names the last failed attempt', async () => {
    const port = await freePort(); // nothing listens there
    const script = scripts.write('idle.mjs', `setInterval(() => {}, 1000);`);
    const error = await supervisor
      .start(nodeSpec('no-listener', script, { ready: { url: `http://127.0.0.1:${port}/` }, readyTimeoutMs: 400 }))
      .catch((e: unknown) => e);
    assert.ok(error instanceof ProcessStartError);
    assert.match(error.message, new RegExp(`waiting for HTTP 200 from http://127\\.0\\.0\\.1:${port}/; last attempt: .*ECONNREFUSED`));
    assert.match(error.message, /\(it printed nothing\)/);
  });

  test('exit before ready: rejects at once with the exit code and output', async () => {
    const script = scripts.write('crash-on-start.mjs', `console.error('fatal: port 15000 is in use'); process.exit(3);`);
    const started = Date.now();
    const error = await supervisor
      .start(nodeSpec('crash-on-start', script, { ready: { logLine: /ready/ }, readyTimeoutMs: 10_000 }))
      .catch((e: unknown) => e);
    assert.ok(error instanceof ProcessStartError, String(error));
    assert.equal(error.failure, 'exited');
    assert.deepEqual(error.exitStatus, { code: 3, signal: null });
    assert.match(error.message, /^crash-on-start exited with code 3 before it became ready/);
    assert.match(error.message, /│ fatal: port 15000 is in use/);
    assert.ok(Date.now() - started < 5_000, 'did not wait for the timeout');
    assert.equal(supervisor.get('crash-on-start')?.running, false);
  });

  test('a command that does not exist fails with a clear error', async () => {
    const error = await supervisor.start({ name: 'missing', command: '/nonexistent/skiff-binary', args: [] }).catch((e: unknown) => e);
    assert.ok(error instanceof ProcessStartError, String(error));
    assert.equal(error.failure, 'spawn-failed');
    assert.match(error.message, /missing could not be started: .*ENOENT/);
    assert.match(error.message, /Check that the command exists/);
  });

  test('without a ready check it is ready once spawned', async () => {
    const script = scripts.write('plain.mjs', `setInterval(() => {}, 1000);`);
    const proc = await supervisor.start(nodeSpec('plain', script));
    assert.equal(proc.running, true);
    assert.ok(proc.pid > 0);
    await supervisor.stop('plain');
  });

  test('bad specs are refused before anything is spawned', async () => {
    await assert.rejects(supervisor.start({ name: 'has space', command: 'x', args: [] }), /non-empty word/);
    await assert.rejects(supervisor.start({ name: 'u', command: 'x', args: [], ready: { url: 'localhost:80' } }), /ready\.url must be http/);
    await assert.rejects(supervisor.start({ name: 'u', command: 'x', args: [], ready: { url: 'not a url' } }), /is not a URL/);
  });
});
