// The codec's server connection, client pool and the router's attempt machinery together, as the
// inbound side runs them (a connection manager whose chain is just the app router), between real
// sockets: keep-alive and pipelining, chunked bodies with trailers, Expect:
// 100-continue, bodiless responses, backpressure both ways, aborts that leave no pooled
// connection behind, protocol errors and timeouts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import { createLogger } from '@skiff/telemetry';
import { HttpConnectionManager } from '../chain/connection-manager.js';
import { FilterChain } from '../chain/filter-chain.js';
import { appRouterFilter } from '../chain/filters/app-router.js';
import { SnapshotHolder } from '../core/snapshot-holder.js';
import { DownstreamGuard, type DownstreamLimits } from '../downstream/downstream-guard.js';
import { ClientPool } from './client-pool.js';
import { ServerConnection } from './server-connection.js';

const listen = (server: Server | HttpServer): Promise<number> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));

/** How each exchange ended: the status sent and Envoy's response flag. */
interface Outcome {
  status: number;
  flag: string;
}

interface Forwarder {
  port: number;
  pool: ClientPool;
  outcomes: Outcome[];
  server: Server;
}

const logger = createLogger('test', {}, { level: 'silent' });

async function startForwarder(upstreamPort: number, limits: Partial<DownstreamLimits> = {}): Promise<Forwarder> {
  const pool = new ClientPool({ host: '127.0.0.1', port: upstreamPort });
  const outcomes: Outcome[] = [];
  const guard = new DownstreamGuard('forwarder', logger, limits);
  const manager = new HttpConnectionManager({
    name: 'forwarder',
    holder: new SnapshotHolder(),
    guard,
    logger,
    source: { workload: 'test', namespace: 'test' },
    buildChain: () =>
      new FilterChain([{ name: 'record', onComplete: (x) => outcomes.push({ status: x.status, flag: x.flag }) }, appRouterFilter(() => pool, 'inbound|0||', {}, Math.random)], logger),
  });
  const server = createServer((socket) => {
    if (guard.admit(socket)) manager.accept(socket);
  });
  server.on('close', () => guard.close());
  return { port: await listen(server), pool, outcomes, server };
}

/** Sends raw bytes and collects everything until the proxy closes or `until` matches. */
function exchange(port: number, bytes: string | Buffer, until?: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer in 5 s: ${JSON.stringify(text.slice(0, 300))}`));
    }, 5000);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (until?.(text)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
    socket.on('error', () => undefined);
    socket.write(bytes);
  });
}

const count = (text: string, needle: string) => text.split(needle).length - 1;

describe('HTTP/1.1 forwarding on the codec', () => {
  let upstream: HttpServer;
  let upstreamPort: number;
  let forwarder: Forwarder;
  const seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string; trailers: Record<string, string | undefined> }> = [];
  const handlers = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();

  before(async () => {
    upstream = createHttpServer((req, res) => {
      const special = handlers.get(req.url ?? '');
      if (special) return special(req, res);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('latin1');
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, trailers: req.trailers });
        if (req.url === '/chunked') {
          res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
          res.write('part one, ');
          res.write('part two');
          res.addTrailers({ 'x-checksum': 'abc' });
          res.end();
          return;
        }
        if (req.url === '/empty') {
          res.writeHead(204);
          res.end();
          return;
        }
        const answer = `${req.method} ${req.url} ${body.length}`;
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(answer) });
        res.end(req.method === 'HEAD' ? undefined : answer);
      });
    });
    upstreamPort = await listen(upstream);
    forwarder = await startForwarder(upstreamPort);
  });

  after(() => {
    forwarder.server.close();
    forwarder.pool.close();
    upstream.close();
    upstream.closeAllConnections();
  });

  test('keep-alive and pipelining: three requests on one connection, answered in order over one pooled upstream connection', async () => {
    const opened = forwarder.pool.stats.opened;
    const text = await exchange(
      forwarder.port,
      'GET /a HTTP/1.1\r\nHost: s\r\n\r\nPOST /b HTTP/1.1\r\nHost: s\r\nContent-Length: 5\r\n\r\nhelloGET /c HTTP/1.1\r\nHost: s\r\n\r\n',
      (t) => count(t, 'HTTP/1.1 200') === 3 && t.endsWith('GET /c 0'),
    );
    assert.deepEqual([...text.matchAll(/(GET|POST) \/[abc] \d+/g)].map((m) => m[0]), ['GET /a 0', 'POST /b 5', 'GET /c 0']);
    assert.ok(forwarder.pool.stats.opened - opened <= 1, 'one upstream connection carried them');
  });

  test('a chunked request body and its trailers arrive whole; a chunked answer and its trailers come back', async () => {
    const text = await exchange(
      forwarder.port,
      'POST /chunked HTTP/1.1\r\nHost: s\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nx-sum: 11\r\n\r\n',
      (t) => t.endsWith('\r\n0\r\nx-checksum: abc\r\n\r\n'),
    );
    assert.equal(seen.at(-1)?.body, 'hello world');
    assert.deepEqual(seen.at(-1)?.trailers, { 'x-sum': '11' });
    assert.match(text, /transfer-encoding: chunked/);
    assert.match(text, /part one, \r\n8\r\npart two\r\n0\r\nx-checksum: abc\r\n\r\n$/);
  });

  test('Expect: 100-continue is answered by the proxy and not passed on', async () => {
    const socket = connect(forwarder.port, '127.0.0.1');
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString()));
    socket.write('PUT /up HTTP/1.1\r\nHost: s\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n');
    await waitFor(() => text.includes('100 Continue'), 'the interim answer');
    socket.write('abc');
    await waitFor(() => text.includes('PUT /up 3'), 'the final answer');
    socket.destroy();
    assert.match(text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
    assert.equal(seen.at(-1)?.headers['expect'], undefined);
  });

  test('HEAD and 204 answers carry no body, and the connection stays usable', async () => {
    const text = await exchange(forwarder.port, 'HEAD /h HTTP/1.1\r\nHost: s\r\n\r\nGET /empty HTTP/1.1\r\nHost: s\r\n\r\nGET /after HTTP/1.1\r\nHost: s\r\n\r\n', (t) => t.endsWith('GET /after 0'));
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n[^]*content-length: 9\r\n\r\nHTTP\/1\.1 204 No Content\r\n[^]*?\r\n\r\nHTTP\/1\.1 200 OK/);
  });

  test('a malformed request gets 400 and a closed connection, and nothing reaches the upstream', async () => {
    const before = seen.length;
    const text = await exchange(forwarder.port, 'GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n');
    assert.match(text, /^HTTP\/1\.1 400 Bad Request\r\n[^]*connection: close/);
    assert.equal(seen.length, before);
  });

  test('backpressure: a client that stops reading stops the upstream; the download completes once it reads', async () => {
    const total = 64 * 1024 * 1024;
    let written = 0;
    let blocked = false;
    handlers.set('/big', (_req, res) => {
      res.writeHead(200, { 'content-length': total });
      const piece = Buffer.alloc(64 * 1024, 0x61);
      const pump = () => {
        while (written < total) {
          written += piece.length;
          if (!res.write(piece)) {
            blocked = true;
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const socket = connect(forwarder.port, '127.0.0.1');
    socket.write('GET /big HTTP/1.1\r\nHost: s\r\n\r\n');
    socket.pause();
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(blocked, 'the upstream was made to wait');
    assert.ok(written < 16 * 1024 * 1024, `only socket buffers' worth was sent while the client did not read: ${written}`);
    let received = 0;
    socket.on('data', (c: Buffer) => (received += c.length));
    socket.resume();
    await waitFor(() => received >= total, 'the whole download', 20_000);
    socket.destroy();
  });

  test('a connection paused for a slow reader is reading again when the pool gets it back', async () => {
    // Seen in the benchmark: the last chunk of a download filled the client's buffer, the
    // forwarder paused the upstream connection, the exchange ended before 'drain', and the next
    // request on that pooled connection never got its answer.
    const pool = new ClientPool({ host: '127.0.0.1', port: upstreamPort });
    try {
      const connection = await pool.acquire();
      await new Promise<void>((resolve, reject) => {
        connection.send({ method: 'GET', path: '/paused', headers: ['host', 's'] }, { kind: 'none' }, {
          head: () => connection.pause(),
          data: () => connection.pause(),
          end: () => resolve(),
          error: reject,
        });
        setTimeout(() => connection.resume(), 50); // the slow reader catches up once
      });
      assert.equal(connection.socket.isPaused(), false, 'reading again once idle');
      assert.equal(pool.stats.free, 1);
      const again = await pool.acquire();
      assert.equal(again, connection, 'the same connection is reused');
      const status = await new Promise<number>((resolve, reject) => {
        let code = 0;
        again.send({ method: 'GET', path: '/next', headers: ['host', 's'] }, { kind: 'none' }, { head: (h) => (code = h.status), data: () => undefined, end: () => resolve(code), error: reject });
      });
      assert.equal(status, 200);
    } finally {
      pool.close();
    }
  });

  test('a client that leaves mid-download leaves no pooled connection behind', async () => {
    handlers.set('/stall', (_req, res) => {
      res.writeHead(200, { 'content-length': 1000 });
      res.write('x'.repeat(10));
    });
    const text = await exchange(forwarder.port, 'GET /stall HTTP/1.1\r\nHost: s\r\n\r\n', (t) => t.includes('xxxxxxxxxx'));
    assert.match(text, /^HTTP\/1\.1 200/);
    await waitFor(() => forwarder.pool.stats.busy === 0, 'the upstream connection released');
    assert.equal(forwarder.outcomes.at(-1)?.flag, 'DC');
  });

  test('an answer sent before a large upload is read ends the connection after it, instead of waiting for the rest', { timeout: 10_000 }, async () => {
    const server = createServer((socket) => {
      new ServerConnection(socket, (stream) => {
        stream.respond(403, ['content-type', 'text/plain'], false, 7);
        stream.write(Buffer.from('denied\n'));
        stream.end();
      });
    });
    const port = await listen(server);
    try {
      const socket = connect(port, '127.0.0.1');
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString()));
      socket.on('error', () => undefined);
      const closed = new Promise<number>((resolve) => {
        const started = performance.now();
        socket.once('close', () => resolve(performance.now() - started));
      });
      socket.write(`POST /upload HTTP/1.1\r\nHost: s\r\nContent-Length: ${8 * 1024 * 1024}\r\n\r\n`);
      socket.write(Buffer.alloc(256 * 1024, 0x61));
      const ms = await closed;
      assert.match(text, /^HTTP\/1\.1 403 Forbidden\r\n[^]*\r\n\r\ndenied\n$/);
      assert.ok(ms < 2000, `closed after the answer, not on a timeout (${ms.toFixed(0)} ms)`);
    } finally {
      server.close();
    }
  });

  test('an upstream that refuses connections: the forwarder answers itself and the failure is a connect failure', async () => {
    const closed = createServer();
    const port = await listen(closed);
    closed.close();
    const dead = await startForwarder(port);
    try {
      const text = await exchange(dead.port, 'GET / HTTP/1.1\r\nHost: s\r\n\r\n', (t) => t.includes('connection failure'));
      assert.match(text, /^HTTP\/1\.1 503/);
      assert.deepEqual(dead.outcomes.at(-1), { status: 503, flag: 'UF' });
    } finally {
      dead.server.close();
      dead.pool.close();
    }
  });

  test('a client that sends nothing is closed on the request headers timeout; an idle one on the idle timeout', async () => {
    const timed = await startForwarder(upstreamPort, { requestHeadersTimeoutMs: 300, idleTimeoutMs: 600 });
    try {
      const silentStart = performance.now();
      await exchange(timed.port, '');
      const silentMs = performance.now() - silentStart;
      assert.ok(silentMs >= 250 && silentMs < 1500, `silent connection lived ${silentMs.toFixed(0)} ms`);
      const idleStart = performance.now();
      const text = await exchange(timed.port, 'GET /i HTTP/1.1\r\nHost: s\r\n\r\n');
      const idleMs = performance.now() - idleStart;
      assert.match(text, /GET \/i 0$/);
      assert.ok(idleMs >= 550 && idleMs < 2000, `idle connection lived ${idleMs.toFixed(0)} ms`);
    } finally {
      timed.server.close();
      timed.pool.close();
    }
  });

  test('uploads stream: the upstream sees the first bytes before the client has sent the rest', async () => {
    let firstBytesAt = 0;
    let doneAt = 0;
    handlers.set('/stream-up', (req, res) => {
      req.once('data', () => (firstBytesAt = performance.now()));
      req.on('end', () => {
        doneAt = performance.now();
        res.writeHead(200, { 'content-length': 2 });
        res.end('ok');
      });
      req.resume();
    });
    const socket = connect(forwarder.port, '127.0.0.1');
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString()));
    socket.write('POST /stream-up HTTP/1.1\r\nHost: s\r\nContent-Length: 20\r\n\r\n0123456789');
    await waitFor(() => firstBytesAt > 0, 'the first half at the upstream');
    await new Promise((r) => setTimeout(r, 200));
    socket.write('0123456789');
    await waitFor(() => text.endsWith('ok'), 'the answer');
    socket.destroy();
    assert.ok(doneAt - firstBytesAt >= 150, 'the body was not held back until complete');
  });

  async function waitFor(check: () => boolean, what: string, ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
});
