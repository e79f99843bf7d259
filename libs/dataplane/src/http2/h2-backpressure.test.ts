// HTTP/2 flow control end to end through a proxy: a client that stops reading stops the app's
// writes (the proxy stops reading its upstream stream, so the app's window runs out), and an app
// that stops reading stops the client's uploads. Bodies of 64 MiB, so a proxy that buffered
// instead would show it plainly. Then the other side reads on and every byte arrives.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { startSidecarAndGateway, until, type SidecarAndGateway } from '../test-support.js';

const CHUNK = Buffer.alloc(64 * 1024, 0x62);
const BODY = 64 * 1024 * 1024;
/** What flow control lets through when nobody reads: windows and buffers of three hops, well under the body. */
const IN_FLIGHT_LIMIT = 8 * 1024 * 1024;

interface App {
  server: http2.Http2Server;
  port: number;
  /** Bytes the app has handed to its stream for the current download. */
  written: number;
  /** Bytes the app has read of the current upload. */
  read: number;
  uploads: http2.ServerHttp2Stream[];
}

function startApp(): Promise<App> {
  const app: App = { server: http2.createServer(), port: 0, written: 0, read: 0, uploads: [] };
  app.server.on('stream', (stream, headers) => {
    if (headers[':method'] === 'POST') {
      // Uploads wait, unread, until the test resumes them.
      app.uploads.push(stream);
      stream.pause();
      stream.on('data', (c: Buffer) => (app.read += c.length));
      stream.on('end', () => stream.respond({ ':status': 200 }, { endStream: true }));
      return;
    }
    stream.respond({ ':status': 200, 'content-length': String(BODY) });
    app.written = 0;
    const pump = () => {
      while (app.written < BODY) {
        app.written += CHUNK.length;
        if (!stream.write(CHUNK)) return void stream.once('drain', pump);
      }
      stream.end();
    };
    pump();
  });
  return new Promise((resolve) =>
    app.server.listen(0, '127.0.0.1', () => {
      app.port = (app.server.address() as { port: number }).port;
      resolve(app);
    }),
  );
}

describe('HTTP/2 flow control through the proxy', () => {
  let mesh: SidecarAndGateway;
  let app: App;
  let session: http2.ClientHttp2Session;

  before(async () => {
    app = await startApp();
    mesh = await startSidecarAndGateway({ version: 'bp1', appPort: app.port });
    session = http2.connect(`http://127.0.0.1:${mesh.listeners().find((l) => l.name === 'inbound')?.port}`);
  });

  after(async () => {
    session?.close();
    await mesh?.close();
    app?.server.close();
  });

  test('a client that stops reading stops the download at the app, and reading on gets every byte', async () => {
    const req = session.request({ ':method': 'GET', ':path': '/download', ':authority': 'svc' });
    req.end();
    await new Promise((resolve) => req.once('response', resolve));
    req.pause();
    await new Promise((r) => setTimeout(r, 1500));
    const stalled = app.written;
    assert.ok(stalled < IN_FLIGHT_LIMIT, `the app wrote ${stalled} bytes while nobody read (limit ${IN_FLIGHT_LIMIT})`);
    let received = 0;
    req.on('data', (c: Buffer) => (received += c.length));
    req.resume();
    await new Promise((resolve, reject) => {
      req.on('end', resolve);
      req.on('error', reject);
    });
    assert.equal(received, BODY);
  });

  test('an app that stops reading stops the upload at the client, and reading on takes every byte', async () => {
    const req = session.request({ ':method': 'POST', ':path': '/upload', ':authority': 'svc' });
    let sent = 0;
    let blocked = false;
    const pump = () => {
      while (sent < BODY) {
        sent += CHUNK.length;
        if (!req.write(CHUNK)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
    await until(() => app.uploads.length > 0, 'the upload to reach the app');
    await new Promise((r) => setTimeout(r, 1500));
    blocked = sent < BODY;
    assert.ok(blocked && sent < IN_FLIGHT_LIMIT + CHUNK.length * 2, `the client got ${sent} bytes out while the app read none (limit ${IN_FLIGHT_LIMIT})`);
    const status = new Promise<number>((resolve) => req.once('response', (h) => resolve(Number(h[':status']))));
    req.resume();
    for (const upload of app.uploads) upload.resume();
    assert.equal(await status, 200);
    assert.equal(app.read, BODY);
  });
});
