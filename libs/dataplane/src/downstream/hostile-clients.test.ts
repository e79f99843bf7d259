// Hostile and broken clients against every data listener of real proxies (a sidecar's outbound
// and inbound, a gateway): connections that send nothing or send a head slowly are closed on the
// request headers timeout, idle keep-alive connections on the idle timeout, requests HTTP/1.1
// forbids get Envoy's statuses and a closed connection, a flood of idle connections cannot lock
// out real clients, and under overload new work is refused while /ready still answers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { request as httpRequest } from 'node:http';
import { createLogger } from '@skiff/telemetry';
import type { RunningProxy } from '../proxy.js';
import { startSidecarAndGateway, startUpstream, until, type SidecarAndGateway } from '../test-support.js';
import { OverloadMonitor } from './overload-monitor.js';

const limits = { requestHeadersTimeoutMs: 400, idleTimeoutMs: 700, maxConnections: 40 };

interface Raw {
  socket: Socket;
  received: () => string;
  /** Milliseconds from connecting to the proxy closing the connection. */
  closed: Promise<number>;
}

function openRaw(port: number): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const start = performance.now();
    const closed = new Promise<number>((done) => socket.once('close', () => done(performance.now() - start)));
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, received: () => text, closed }));
    socket.once('error', reject);
  });
}

function get(port: number, path: string, host: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('hostile clients on every listener', () => {
  let mesh: SidecarAndGateway;
  let gateway: RunningProxy;
  let app: Awaited<ReturnType<typeof startUpstream>>;
  const overload = new OverloadMonitor(createLogger('test', {}, { level: 'silent' }));

  before(async () => {
    app = await startUpstream('app', (req) => (req.url === '/slow' ? { delayMs: 600 } : undefined));
    mesh = await startSidecarAndGateway({ version: 'h1', appPort: app.port, proxies: { downstream: limits }, gateway: { overload } });
    gateway = mesh.gateway;
  });

  after(async () => {
    await mesh?.close();
    app?.server.close();
  });

  const listeners = () => mesh.listeners().map((l) => ({ name: l.name, port: l.port, target: l.target('/x') }));

  test('a connection that sends nothing, and one that sends its head too slowly, are closed on the request headers timeout', async () => {
    for (const listener of listeners()) {
      const silent = await openRaw(listener.port);
      const slow = await openRaw(listener.port);
      slow.socket.write('GET / HTTP/1.1\r\n');
      const trickle = setInterval(() => slow.socket.write('X-Slow: 1\r\n'), 100);
      const [silentMs, slowMs] = await Promise.all([silent.closed, slow.closed]);
      clearInterval(trickle);
      // The timer is 400 ms; node's sweep for slow heads after the first runs every 400 ms too.
      assert.ok(silentMs >= 350 && silentMs < 2000, `${listener.name}: the silent connection lived ${silentMs.toFixed(0)} ms`);
      assert.ok(slowMs >= 350 && slowMs < 2000, `${listener.name}: the slow head lived ${slowMs.toFixed(0)} ms`);
    }
  });

  test('a keep-alive connection with nothing in flight is closed on the idle timeout', async () => {
    for (const listener of listeners()) {
      const raw = await openRaw(listener.port);
      raw.socket.write(`GET ${listener.target} HTTP/1.1\r\nHost: svc\r\n\r\n`);
      await until(() => raw.received().includes('\r\n\r\n'), `${listener.name}: a response`);
      assert.match(raw.received(), /^HTTP\/1\.1 200/, listener.name);
      const livedMs = await raw.closed;
      assert.ok(livedMs >= 600 && livedMs < 3000, `${listener.name}: the idle connection lived ${livedMs.toFixed(0)} ms`);
    }
  });

  const malformed: Array<[string, (target: string) => string, RegExp]> = [
    ['two Host headers', (t) => `GET ${t} HTTP/1.1\r\nHost: svc\r\nHost: evil\r\n\r\n`, /^HTTP\/1\.1 400 /],
    ['an HTTP/2.0 request line over HTTP/1.1', (t) => `GET ${t} HTTP/2.0\r\nHost: svc\r\n\r\n`, /^HTTP\/1\.1 400 /],
    ['HTTP/1.1 without Host', (t) => `GET ${t} HTTP/1.1\r\n\r\n`, /^HTTP\/1\.1 400 /],
    ['a transfer coding other than chunked', (t) => `POST ${t} HTTP/1.1\r\nHost: svc\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`, /^HTTP\/1\.1 501 /],
    ['Transfer-Encoding on HTTP/1.0', (t) => `POST ${t} HTTP/1.0\r\nHost: svc\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, /^HTTP\/1\.1 400 /],
    ['both Content-Length and Transfer-Encoding', (t) => `POST ${t} HTTP/1.1\r\nHost: svc\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, /^HTTP\/1\.1 400 /],
    ['a head over 60 KiB', (t) => `GET ${t} HTTP/1.1\r\nHost: svc\r\nX-Big: ${'a'.repeat(61 * 1024)}\r\n\r\n`, /^HTTP\/1\.1 431 /],
  ];

  test('requests HTTP/1.1 forbids get the status Envoy gives, and the connection is closed; the app never sees them', async () => {
    for (const listener of listeners()) {
      for (const [name, make, status] of malformed) {
        const before = app.received.length;
        const raw = await openRaw(listener.port);
        raw.socket.write(make(listener.target));
        const livedMs = await raw.closed;
        assert.match(raw.received(), status, `${listener.name}, ${name}: ${JSON.stringify(raw.received().slice(0, 120))}`);
        assert.ok(livedMs < 350, `${listener.name}, ${name}: closed after the reply, not on a timeout (${livedMs.toFixed(0)} ms)`);
        assert.equal(app.received.length, before, `${listener.name}, ${name}: nothing reached the app`);
      }
    }
  });

  test('an HTTP/0.9 request is refused at once, not left open', async () => {
    for (const listener of listeners()) {
      const raw = await openRaw(listener.port);
      raw.socket.write('GET /\r\n\r\n');
      const livedMs = await raw.closed;
      assert.ok(livedMs < 350, `${listener.name}: HTTP/0.9 left open for ${livedMs.toFixed(0)} ms`);
      assert.doesNotMatch(raw.received(), /200/, listener.name);
    }
  });

  test('a flood of idle connections up to the limit and past it leaves real requests and /ready answering', async () => {
    const port = gateway.ports['gateway:80'] as number;
    const flood = await Promise.all(Array.from({ length: limits.maxConnections + 20 }, () => openRaw(port)));
    const ok = await get(port, '/x', 'svc');
    assert.equal(ok.status, 200, 'a real request during the flood');
    const ready = await get(gateway.ports['admin'] as number, '/ready', 'admin');
    assert.equal(ready.status, 200);
    const stats = JSON.parse((await get(gateway.ports['admin'] as number, '/listeners', 'admin')).body) as { listeners: Record<string, { active: number; evictedForRoom: number }> };
    const gw = stats.listeners['gateway:80'];
    assert.ok(gw && gw.active <= limits.maxConnections, `at most the limit open: ${JSON.stringify(gw)}`);
    assert.ok(gw.evictedForRoom >= 20, `idle connections made room: ${JSON.stringify(gw)}`);
    for (const raw of flood) raw.socket.destroy();
  });

  test('under overload new connections and requests are refused with 503, /ready still answers, and all comes back after', async () => {
    const port = gateway.ports['gateway:80'] as number;
    const admin = gateway.ports['admin'] as number;
    // Opened before the pressure: one connection busy with a slow request (a second request
    // follows it under pressure), and one idle.
    const busy = await openRaw(port);
    const idle = await openRaw(port);
    busy.socket.write('GET /slow HTTP/1.1\r\nHost: svc\r\n\r\n');
    await until(() => app.received.some((r) => r.url === '/slow'), 'the slow request at the app');
    overload.sample({ openFiles: 19_000, maxOpenFiles: 20_000 });
    try {
      assert.equal(overload.state.level, 'refuse');
      await idle.closed; // shed: nothing in flight
      const refused = await openRaw(port);
      await refused.closed;
      assert.equal(refused.received(), '', 'a new connection is closed unanswered');
      busy.socket.write('GET /x HTTP/1.1\r\nHost: svc\r\n\r\n');
      await busy.closed;
      const answers = busy.received();
      assert.match(answers, /^HTTP\/1\.1 200 /, 'the request in flight completes');
      assert.match(answers.slice(answers.indexOf('HTTP/1.1', 10)), /^HTTP\/1\.1 503 [\s\S]*x-envoy-overloaded: true/i, answers);
      assert.equal((await get(admin, '/ready', 'admin')).status, 200, '/ready answers under overload');
    } finally {
      overload.sample({ openFiles: 100, maxOpenFiles: 20_000 });
    }
    assert.equal(overload.state.level, 'normal');
    assert.equal((await get(port, '/x', 'svc')).status, 200, 'traffic flows again');
  });
});
