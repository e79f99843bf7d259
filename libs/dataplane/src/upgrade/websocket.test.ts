// WebSocket and other HTTP/1.1 upgrades on every listener (outbound, inbound, gateway), as Istio
// configures Envoy: `websocket` is tunnelled, `h2c` is ignored, anything else gets 403. A real
// `ws` client and server on each side; a raw socket where half-close and timing matter.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import type { RequestEvent } from '../core/request-event.js';
import { startSidecarAndGateway, until, type SidecarAndGateway } from '../test-support.js';

/** The app: a WebSocket echo at /echo (plus "hello" on open and "bye" on "close-please"), a raw upgrade at /raw, plain HTTP elsewhere. */
function startApp(): Promise<{ server: Server; port: number; sockets: Set<Socket>; seenHeaders: Array<Record<string, string | string[] | undefined>> }> {
  const server = createServer((req, res) => {
    seenHeaders.push(req.headers);
    res.writeHead(200, { 'content-type': 'text/plain' }).end('plain http\n');
  });
  const seenHeaders: Array<Record<string, string | string[] | undefined>> = [];
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    seenHeaders.push(req.headers);
    if (req.url === '/raw') {
      // A byte protocol of its own: echoes, and answers a half-close with "bye" before closing.
      socket.allowHalfOpen = true;
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
      if (head.length > 0) socket.write(head);
      socket.on('data', (chunk: Buffer) => socket.write(chunk));
      socket.on('end', () => socket.end('bye'));
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.send('hello');
      ws.on('message', (data, binary) => {
        if (!binary && data.toString() === 'close-please') return ws.close(1000, 'server is done');
        ws.send(data, { binary });
      });
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, sockets, seenHeaders })));
}

/** A ws client through a listener: origin-form with Host `svc` (the outbound listener routes by it). */
async function openSocket(port: number, path = '/echo'): Promise<{ ws: WebSocket; messages: string[] }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers: { host: 'svc' }, handshakeTimeout: 5000 });
  const messages: string[] = [];
  ws.on('message', (data, binary) => messages.push(binary ? `<${(data as Buffer).length} bytes>` : data.toString()));
  await once(ws, 'open');
  return { ws, messages };
}

/** Sends a raw request head and returns the socket and what came back until the head's end. */
async function rawUpgrade(port: number, head: string): Promise<{ socket: Socket; response: string; rest: Buffer }> {
  const socket = connect(port, '127.0.0.1');
  socket.write(head);
  let got = Buffer.alloc(0);
  for (;;) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    got = Buffer.concat([got, chunk]);
    const end = got.indexOf('\r\n\r\n');
    if (end >= 0) return { socket, response: got.subarray(0, end).toString('latin1'), rest: got.subarray(end + 4) };
  }
}

describe('WebSocket upgrades on every listener', () => {
  let mesh: SidecarAndGateway;
  let app: Awaited<ReturnType<typeof startApp>>;
  const events: RequestEvent[] = [];

  before(async () => {
    app = await startApp();
    mesh = await startSidecarAndGateway({ version: 'ws1', appPort: app.port, proxies: { observer: (e) => events.push(e), downstream: { streamIdleTimeoutMs: 1500 } } });
  });

  after(async () => {
    await mesh?.close();
    app?.server.close();
  });

  const port = (name: 'inbound' | 'gateway') => mesh.listeners().find((l) => l.name === name)?.port ?? assert.fail(`no ${name} listener`);

  test('messages go both ways on each listener, and a client close ends the session cleanly on both sides', async () => {
    for (const listener of mesh.listeners()) {
      const { ws, messages } = await openSocket(listener.port);
      ws.send('ping 1');
      ws.send(Buffer.alloc(1024 * 1024, 7), { binary: true });
      ws.send('ping 2');
      await until(() => messages.length === 4, `${listener.name}: the greeting and three echoes`);
      assert.deepEqual(messages, ['hello', 'ping 1', '<1048576 bytes>', 'ping 2'], listener.name);
      ws.close(1000, 'client is done');
      const [code] = (await once(ws, 'close')) as [number];
      assert.equal(code, 1000, `${listener.name}: the server's close frame came back`);
    }
  });

  test('a close started by the server reaches the client through each listener', async () => {
    for (const listener of mesh.listeners()) {
      const { ws } = await openSocket(listener.port);
      ws.send('close-please');
      const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
      assert.equal(code, 1000, listener.name);
      assert.equal(reason.toString(), 'server is done', listener.name);
    }
  });

  test('the session is counted once it ends: status 101, its bytes each way, and no connection left to the app', async () => {
    const before = events.length;
    const { ws, messages } = await openSocket(port('inbound'));
    ws.send('x'.repeat(1000));
    await until(() => messages.length === 2, 'the greeting and the echo');
    ws.close();
    await once(ws, 'close');
    await until(() => events.length > before, 'the session event');
    const event = events.at(-1) as RequestEvent;
    assert.equal(event.responseCode, 101);
    assert.equal(event.responseFlags, '-');
    assert.ok(event.requestBytes > 1000, `bytes from the client: ${event.requestBytes}`);
    assert.ok(event.responseBytes > 1000, `bytes to the client: ${event.responseBytes}`);
    await until(() => app.sockets.size === 0 || [...app.sockets].every((s) => !s.readable), 'the app side of the tunnel to close');
  });

  test('a half-close is passed on: the other direction keeps flowing until the far side closes', async () => {
    for (const listener of mesh.listeners()) {
      const target = listener.name === 'outbound' ? 'http://svc/raw' : '/raw';
      const { socket, response, rest } = await rawUpgrade(listener.port, `GET ${target} HTTP/1.1\r\nHost: svc\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`);
      assert.match(response, /^HTTP\/1\.1 101 /, listener.name);
      assert.match(response, /\r\nupgrade: websocket/i, listener.name);
      let received = rest.toString();
      socket.on('data', (c: Buffer) => (received += c.toString()));
      socket.write('echo me');
      await until(() => received === 'echo me', `${listener.name}: the echo`);
      socket.end(); // half-close: the app answers it with "bye", then closes
      await once(socket, 'close');
      assert.equal(received, 'echo mebye', `${listener.name}: data after the client's half-close still came back`);
    }
  });

  test('bytes sent right behind the upgrade request are not lost', async () => {
    const { socket, response, rest } = await rawUpgrade(port('gateway'), 'GET /raw HTTP/1.1\r\nHost: svc\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nearly bytes');
    assert.match(response, /^HTTP\/1\.1 101 /);
    let received = rest.toString();
    socket.on('data', (c: Buffer) => (received += c.toString()));
    await until(() => received === 'early bytes', 'the early bytes echoed');
    socket.destroy();
  });

  test('an idle tunnel is closed after the stream idle timeout, flagged SI', async () => {
    const before = events.length;
    const { socket } = await rawUpgrade(port('inbound'), 'GET /raw HTTP/1.1\r\nHost: svc\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    const opened = Date.now();
    await once(socket, 'close');
    const idle = Date.now() - opened;
    assert.ok(idle >= 1400 && idle < 4000, `closed after ${idle} ms (stream idle timeout 1500 ms, checked every 250 ms)`);
    // Sessions of the tests before may end around now too: this one is the one that lasted.
    const lasted = () => events.slice(before).filter((e) => e.responseCode === 101 && e.durationMs >= 1400);
    await until(() => lasted().length > 0, 'the idle session event');
    assert.deepEqual(lasted().map((e) => e.responseFlags), ['SI']);
  });

  test("the route's timeout ends at the 101, and a mirror does not copy the session", async () => {
    const routes = (name: string) => ({
      name,
      virtualHosts: [{ name: 'svc', domains: ['svc', 'svc:80'], routes: [{ name: 'to-app', action: { kind: 'route' as const, clusters: [{ cluster: 'app', weight: 100 }], retries: { attempts: 0, retryOn: [], retriableStatusCodes: [] }, timeoutMs: 300, mirror: { cluster: 'app', percent: 100 } } }] }],
    });
    const current = mesh.gateway.holder.current;
    assert.ok(current);
    mesh.discovery.push({ version: 'ws2', routeConfigs: [routes('80'), routes('http.80')], clusters: [...current.clusters.values()].map((c) => c.cluster), gatewayServers: [{ port: 80, protocol: 'HTTP', hosts: ['*'], routeConfig: 'http.80' }] });
    await until(() => mesh.gateway.holder.current?.version === 'ws2', 'the push with a timeout and a mirror');
    const before = app.seenHeaders.length;
    const { ws, messages } = await openSocket(port('gateway'));
    await new Promise((r) => setTimeout(r, 800));
    ws.send('still here');
    await until(() => messages.length === 2, 'an echo 800 ms into a session whose route times out at 300 ms');
    assert.deepEqual(messages, ['hello', 'still here']);
    ws.close();
    await once(ws, 'close');
    await new Promise((r) => setTimeout(r, 200)); // a shadow is sent at once; give it time to arrive
    assert.deepEqual(app.seenHeaders.slice(before).map((h) => [h['host'], h['upgrade']]), [['svc', 'websocket']], 'the handshake alone reached the app: no shadow');
  });

  test('other upgrades get 403, a websocket upgrade with a body 400, and h2c is served as HTTP/1.1 without the offer', async () => {
    const gateway = port('gateway');
    const refused = await rawUpgrade(gateway, 'GET /raw HTTP/1.1\r\nHost: svc\r\nConnection: Upgrade\r\nUpgrade: TLS/1.0\r\n\r\n');
    assert.match(refused.response, /^HTTP\/1\.1 403 /);
    refused.socket.destroy();
    const withBody = await rawUpgrade(gateway, 'POST /raw HTTP/1.1\r\nHost: svc\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nContent-Length: 3\r\n\r\nabc');
    assert.match(withBody.response, /^HTTP\/1\.1 400 /);
    withBody.socket.destroy();
    const seen = app.seenHeaders.length;
    const h2c = await rawUpgrade(gateway, 'GET /plain HTTP/1.1\r\nHost: svc\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n');
    assert.match(h2c.response, /^HTTP\/1\.1 200 /);
    h2c.socket.destroy();
    const headers = app.seenHeaders[seen];
    assert.equal(headers?.['upgrade'], undefined, 'the h2c offer is not passed on');
    assert.equal(headers?.['http2-settings'], undefined);
  });
});
