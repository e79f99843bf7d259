import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppHealthChecker, nextHealth, parseAppProbe, probeOnce, type HealthState } from './app-health.js';

describe('nextHealth (Kubernetes readiness semantics)', () => {
  const settings = { failureThreshold: 2, successThreshold: 2 };
  const run = (results: boolean[]) => {
    let state: HealthState = { healthy: undefined, failures: 0, successes: 0, message: '' };
    const flips: Array<boolean> = [];
    for (const ok of results) {
      const next = nextHealth(state, { ok, message: ok ? 'ok' : 'down' }, settings);
      state = next.state;
      if (next.changed) flips.push(state.healthy as boolean);
    }
    return { state, flips };
  };
  test('the first success makes an unknown app healthy', () => assert.deepEqual(run([true]).flips, [true]));
  test('one failure is not enough; failureThreshold in a row is', () => {
    assert.deepEqual(run([true, false]).flips, [true]);
    assert.deepEqual(run([true, false, true, false]).flips, [true]);
    assert.deepEqual(run([true, false, false]).flips, [true, false]);
  });
  test('an app dead from the start becomes unhealthy after failureThreshold', () => assert.deepEqual(run([false, false]).flips, [false]));
  test('back to healthy only after successThreshold successes in a row', () => {
    assert.deepEqual(run([true, false, false, true]).flips, [true, false]);
    assert.deepEqual(run([true, false, false, true, true]).flips, [true, false, true]);
  });
});

describe('probes against real sockets', () => {
  let server: Server;
  let port: number;
  let status = 200;
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/slow') return void setTimeout(() => res.end('late'), 500);
      res.writeHead(status).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  test('parseAppProbe', () => {
    assert.deepEqual(parseAppProbe('http:/healthz'), { kind: 'http', path: '/healthz' });
    assert.deepEqual(parseAppProbe('tcp'), { kind: 'tcp' });
    assert.throws(() => parseAppProbe('http:healthz'), /http:\/<path>/);
    assert.throws(() => parseAppProbe('grpc'), /http:\/<path>, tcp or none/);
  });

  test('HTTP: 2xx and 3xx are healthy, 5xx, timeouts and refused connections are not', async () => {
    status = 204;
    assert.equal((await probeOnce('127.0.0.1', port, { kind: 'http', path: '/h' }, 1000)).ok, true);
    status = 503;
    assert.deepEqual(await probeOnce('127.0.0.1', port, { kind: 'http', path: '/h' }, 1000), { ok: false, message: `GET /h on 127.0.0.1:${port} answered 503` });
    assert.match((await probeOnce('127.0.0.1', port, { kind: 'http', path: '/slow' }, 100)).message, /timed out after 100 ms/);
    const closed = await new Promise<number>((r) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => r(p));
      });
    });
    assert.match((await probeOnce('127.0.0.1', closed, { kind: 'http', path: '/h' }, 1000)).message, /ECONNREFUSED/);
    assert.match((await probeOnce('127.0.0.1', closed, { kind: 'tcp' }, 1000)).message, /ECONNREFUSED/);
    assert.equal((await probeOnce('127.0.0.1', port, { kind: 'tcp' }, 1000)).ok, true);
  });

  test('the checker reports each flip once', async () => {
    status = 200;
    const reports: boolean[] = [];
    const checker = new AppHealthChecker({ host: '127.0.0.1', port }, { probe: { kind: 'http', path: '/' }, periodMs: 20, timeoutMs: 500, failureThreshold: 2, successThreshold: 1 }, (h) => reports.push(h.healthy));
    checker.start();
    try {
      const until = async (n: number) => {
        const end = Date.now() + 5000;
        while (reports.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      };
      await until(1);
      status = 500;
      await until(2);
      status = 200;
      await until(3);
      assert.deepEqual(reports, [true, false, true]);
    } finally {
      checker.stop();
    }
  });
});
