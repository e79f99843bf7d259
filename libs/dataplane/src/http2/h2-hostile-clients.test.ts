// Hostile HTTP/2 clients against a sidecar's listener: a flood of streams opened and reset at
// once (the "rapid reset" attack, CVE-2023-44487), a head over the 60 KiB limit, and bytes that
// only look like the preface. Each is answered without crashing the proxy or leaking upstream
// streams, and a well-behaved client is served right after.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { connect } from 'node:net';
import { startSidecarAndGateway, until, type SidecarAndGateway } from '../test-support.js';

describe('hostile HTTP/2 clients', () => {
  let mesh: SidecarAndGateway;
  let app: http2.Http2Server;
  let appStreams = 0;
  let openAppStreams = 0;
  let inbound = 0;

  before(async () => {
    app = http2.createServer();
    app.on('stream', (stream) => {
      appStreams++;
      openAppStreams++;
      stream.once('close', () => openAppStreams--);
      // Slow on purpose: a reset that did not reach the app would leave its stream open.
      const timer = setTimeout(() => {
        if (!stream.destroyed) stream.respond({ ':status': 200 }, { endStream: true });
      }, 200);
      stream.once('close', () => clearTimeout(timer));
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    mesh = await startSidecarAndGateway({ version: 'h1', appPort: (app.address() as { port: number }).port });
    inbound = mesh.listeners().find((l) => l.name === 'inbound')?.port as number;
  });

  after(async () => {
    await mesh?.close();
    app?.close();
  });

  async function wellBehavedRequest(): Promise<number> {
    const session = http2.connect(`http://127.0.0.1:${inbound}`);
    try {
      return await new Promise<number>((resolve, reject) => {
        const req = session.request({ ':path': '/ok', ':authority': 'svc' });
        req.on('response', (h) => resolve(Number(h[':status'])));
        req.on('error', reject);
        req.end();
      });
    } finally {
      session.close();
    }
  }

  test('streams opened and reset at once are reset upstream too, and the next client is served', async () => {
    const session = http2.connect(`http://127.0.0.1:${inbound}`);
    session.on('error', () => undefined);
    await new Promise((resolve) => session.once('connect', resolve));
    for (let i = 0; i < 2000 && !session.destroyed; i++) {
      const req = session.request({ ':path': `/flood/${i}`, ':authority': 'svc' });
      req.on('error', () => undefined);
      req.close(http2.constants.NGHTTP2_CANCEL);
    }
    await new Promise((r) => setTimeout(r, 500));
    session.destroy();
    await until(() => openAppStreams === 0, `every stream the flood opened at the app is closed (${openAppStreams} open of ${appStreams})`, 10_000);
    assert.equal(await wellBehavedRequest(), 200);
  });

  test('a head over 60 KiB gets 431, and the next client is served', async () => {
    const session = http2.connect(`http://127.0.0.1:${inbound}`, { maxSendHeaderBlockLength: 256 * 1024 } as http2.ClientSessionOptions);
    session.on('error', () => undefined);
    const outcome = await new Promise<string>((resolve) => {
      const req = session.request({ ':path': '/big', ':authority': 'svc', 'x-big': 'a'.repeat(70 * 1024) });
      req.on('response', (h) => resolve(`status ${h[':status']}`));
      req.on('error', (e: Error & { code?: string }) => resolve(`error ${e.code}`));
      req.on('close', () => resolve(`closed ${req.rstCode}`));
      req.end();
    });
    session.destroy();
    assert.equal(outcome, 'status 431', 'refused as Envoy refuses a head over max_request_headers_kb');
    assert.equal(await wellBehavedRequest(), 200);
  });

  test('an HTTP/2 CONNECT (not served) is refused with a stream reset, and the next client is served', async () => {
    const session = http2.connect(`http://127.0.0.1:${inbound}`);
    session.on('error', () => undefined);
    const code = await new Promise<number | undefined>((resolve) => {
      const req = session.request({ ':method': 'CONNECT', ':authority': 'example.com:443' });
      req.on('error', () => undefined);
      req.on('response', () => resolve(-1));
      req.on('close', () => resolve(req.rstCode));
    });
    session.destroy();
    assert.equal(code, http2.constants.NGHTTP2_PROTOCOL_ERROR);
    assert.equal(await wellBehavedRequest(), 200);
  });

  test('a connection that opens with the preface and then sends garbage is closed, nothing else is', async () => {
    const socket = connect(inbound, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.resume(); // read what comes back (a GOAWAY), so the close is seen
    socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    socket.write(Buffer.alloc(4096, 0xff));
    await new Promise((resolve) => socket.once('close', resolve));
    assert.equal(await wellBehavedRequest(), 200);
  });
});

describe('HTTP/2 idle and stream idle timeouts', () => {
  let mesh: SidecarAndGateway;
  let app: http2.Http2Server;
  let inbound = 0;

  before(async () => {
    app = http2.createServer();
    app.on('stream', () => undefined); // never answers
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    mesh = await startSidecarAndGateway({ version: 't1', appPort: (app.address() as { port: number }).port, proxies: { downstream: { idleTimeoutMs: 600, streamIdleTimeoutMs: 600 } } });
    inbound = mesh.listeners().find((l) => l.name === 'inbound')?.port as number;
  });

  after(async () => {
    await mesh?.close();
    app?.close();
  });

  test('a connection with no stream open is closed after the idle timeout', async () => {
    const session = http2.connect(`http://127.0.0.1:${inbound}`);
    session.on('error', () => undefined);
    const opened = Date.now();
    await new Promise((resolve) => session.once('close', resolve));
    const after = Date.now() - opened;
    assert.ok(after >= 500 && after < 5000, `closed after ${after} ms (idle timeout 600 ms)`);
  });

  test('a stream with no byte either way is reset after the stream idle timeout', async () => {
    const session = http2.connect(`http://127.0.0.1:${inbound}`);
    session.on('error', () => undefined);
    const req = session.request({ ':method': 'POST', ':path': '/stuck', ':authority': 'svc' });
    req.on('error', () => undefined);
    req.write('part of a body');
    const opened = Date.now();
    await new Promise((resolve) => req.once('close', resolve));
    const after = Date.now() - opened;
    assert.ok(after >= 500 && after < 5000, `reset after ${after} ms (stream idle timeout 600 ms)`);
    assert.notEqual(req.rstCode, http2.constants.NGHTTP2_NO_ERROR, 'reset, not ended');
    session.destroy();
  });
});
