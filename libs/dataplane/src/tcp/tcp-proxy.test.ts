// TCP through real proxies: a gateway TCP server port and a sidecar's CONNECT, each routed by tcp
// routes to a sidecar whose port is TCP, which authorizes the connection and tunnels it to a real
// echo server. Plaintext here (the scripted control plane issues no certificates); mutual TLS
// between sidecars is in apps/mesh-e2e/src/tcp.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { ProxySnapshotInput, TcpMatch } from '@skiff/api';
import { startProxy, type RunningProxy } from '../proxy.js';
import { clientProxyOptions, ScriptedDiscoveryServer, until } from '../test-support.js';
import type { TcpEvent } from './tcp-event.js';

/**
 * Echoes each short message (a chunk of at most 1 KiB) with "v1:" before it; a connection whose
 * first chunk is bulk (over 1 KiB) is echoed untouched to its end: TCP keeps no chunk boundaries,
 * and tagging every short chunk made a 64 MiB echo grow by the tags of whatever small reads a busy
 * machine produced. A half-close is answered with "bye" and its own end.
 */
function startEcho(tag: string): Promise<{ server: Server; port: number; connections: number }> {
  const state = { server: createServer({ allowHalfOpen: true }), port: 0, connections: 0 };
  state.server.on('connection', (s: Socket) => {
    state.connections++;
    let bulk: boolean | undefined;
    s.on('data', (chunk: Buffer) => {
      bulk ??= chunk.length > 1024;
      s.write(bulk || chunk.length > 1024 ? chunk : Buffer.concat([Buffer.from(`${tag}:`), chunk]));
    });
    s.on('end', () => s.end('bye'));
    s.on('error', () => undefined);
  });
  return new Promise((resolve) => state.server.listen(0, '127.0.0.1', () => resolve(Object.assign(state, { port: (state.server.address() as { port: number }).port }))));
}

/** Writes `message`, half-closes, and returns everything read until the far side closes. */
async function exchange(socket: Socket, message: string | Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.end(message);
  await once(socket, 'close');
  return Buffer.concat(chunks);
}

/** CONNECT through a sidecar's outbound listener; resolves with the socket once 200 came back, or the status line. */
async function connectThrough(port: number, authority: string): Promise<{ socket: Socket; status: string }> {
  const socket = connect(port, '127.0.0.1');
  socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
  let got = Buffer.alloc(0);
  for (;;) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    got = Buffer.concat([got, chunk]);
    const end = got.indexOf('\r\n\r\n');
    if (end >= 0) {
      if (end + 4 < got.length) socket.unshift(got.subarray(end + 4));
      return { socket, status: got.subarray(0, got.indexOf('\r\n')).toString() };
    }
  }
}

const echoCluster = 'outbound|9000||echo.default.svc.cluster.local';
/** Short, so a test can outlast it: a TCP connection has no request head, and must not be closed for want of one. */
const HEADERS_TIMEOUT_MS = 300;
const route = (clusters: Array<{ cluster: string; weight: number }>, matches: TcpMatch[] = []) => ({ name: 'r', matches, clusters });

describe('TCP routing', () => {
  const discovery = new ScriptedDiscoveryServer();
  let echo: Awaited<ReturnType<typeof startEcho>>;
  let server: RunningProxy;
  let client: RunningProxy;
  let gateway: RunningProxy;
  const events: TcpEvent[] = [];
  let version = 0;
  let discoveryPort = 0;

  async function push(extra: Partial<ProxySnapshotInput> = {}): Promise<void> {
    const v = `tcp${++version}`;
    discovery.push({
      version: v,
      routeConfigs: [],
      clusters: [
        { name: echoCluster, service: 'echo.default.svc.cluster.local', port: 9000, endpoints: [{ address: '127.0.0.1', port: server.ports['inbound'] as number, workload: 'echo-v1.default', labels: { app: 'echo', version: 'v1' } }] },
        { name: 'outbound|9000||dead.default.svc.cluster.local', service: 'dead.default.svc.cluster.local', port: 9000, endpoints: [{ address: '127.0.0.1', port: 1, workload: 'dead-v1.default', labels: {} }] },
      ],
      gatewayServers: [{ port: 31400, protocol: 'TCP', hosts: ['*'], routeConfig: 'tcp.31400' }],
      tcpServices: [
        { name: 'echo.default.svc.cluster.local:9000', domains: ['echo:9000', 'echo.default.svc.cluster.local:9000'], port: 9000, routes: [route([{ cluster: echoCluster, weight: 100 }])] },
        { name: 'dead.default.svc.cluster.local:9000', domains: ['dead:9000'], port: 9000, routes: [route([{ cluster: 'outbound|9000||dead.default.svc.cluster.local', weight: 100 }])] },
        { name: 'picky.default.svc.cluster.local:9000', domains: ['picky:9000'], port: 9000, routes: [route([{ cluster: echoCluster, weight: 100 }], [{ sourceLabels: { app: 'someone-else' } }])] },
        { name: 'tcp.31400', domains: ['*'], port: 31400, routes: [route([{ cluster: echoCluster, weight: 100 }], [{ sourceNamespace: 'istio-system' }])] },
      ],
      ...extra,
    });
    await until(() => [server, client, gateway].every((p) => p.holder.current?.version === v), `snapshot ${v} on every proxy`);
  }

  before(async () => {
    echo = await startEcho('v1');
    discoveryPort = await discovery.listen();
    const xdsPort = discoveryPort;
    const tcpObserver = (e: TcpEvent) => events.push({ ...e });
    server = await startProxy(
      clientProxyOptions(xdsPort, {
        node: { id: 'echo-v1.default', kind: 'sidecar', service: 'echo', namespace: 'default', serviceAccount: 'echo', labels: { app: 'echo', version: 'v1' }, address: '127.0.0.1', inboundPort: 0, servicePort: 9000, servicePortName: 'tcp-echo' },
        inboundPort: 0,
        appPort: echo.port,
        outboundPort: undefined,
        tcpObserver,
        downstream: { requestHeadersTimeoutMs: HEADERS_TIMEOUT_MS },
        // A client that says nothing is taken as plaintext TCP after this (before the headers timeout).
        protocolDetectionTimeoutMs: 100,
      }),
    );
    client = await startProxy(clientProxyOptions(xdsPort, { node: { id: 'client-v1.default', kind: 'sidecar', service: 'client', namespace: 'default', serviceAccount: 'client', labels: { app: 'client' }, address: '127.0.0.1', inboundPort: 0, servicePort: 80 }, tcpObserver, downstream: { requestHeadersTimeoutMs: HEADERS_TIMEOUT_MS } }));
    gateway = await startProxy(
      clientProxyOptions(xdsPort, {
        node: { id: 'istio-ingressgateway.istio-system', kind: 'gateway', service: 'istio-ingressgateway', namespace: 'istio-system', serviceAccount: 'gw', labels: { istio: 'ingressgateway' }, address: '127.0.0.1', inboundPort: 0, servicePort: 0 },
        outboundPort: undefined,
        gatewayPorts: [{ port: 0, serverPort: 31400 }],
        tcpObserver,
        downstream: { requestHeadersTimeoutMs: HEADERS_TIMEOUT_MS },
      }),
    );
    await push();
  });

  after(async () => {
    await Promise.all([server.close(), client.close(), gateway.close()]);
    discovery.close();
    echo.server.close();
  });

  test('a gateway TCP server port carries bytes both ways, with half-close, and reports both hops', async () => {
    events.length = 0;
    const socket = connect(gateway.ports['gateway:31400'] as number, '127.0.0.1');
    assert.equal((await exchange(socket, 'hello')).toString(), 'v1:hellobye');
    await until(() => events.filter((e) => e.phase === 'close').length === 2, 'both hops to report the close');
    const source = events.find((e) => e.reporter === 'source' && e.phase === 'close');
    const destination = events.find((e) => e.reporter === 'destination' && e.phase === 'close');
    assert.equal(source?.upstreamCluster, echoCluster);
    assert.deepEqual([source?.bytesReceived, source?.bytesSent, source?.responseFlags], [5, 11, '-']);
    assert.equal(source?.destination.workload, 'echo-v1');
    assert.equal(source?.source.workload, 'istio-ingressgateway');
    assert.deepEqual([destination?.bytesReceived, destination?.bytesSent, destination?.responseFlags, destination?.destination.workload], [5, 11, '-', 'echo-v1']);
    assert.equal(events.filter((e) => e.phase === 'open').length, 2, 'one open per hop');
  });

  test('a CONNECT to a mesh TCP service through the outbound listener is routed by its tcp routes', async () => {
    const { socket, status } = await connectThrough(client.ports['outbound'] as number, 'echo:9000');
    assert.equal(status, 'HTTP/1.1 200 OK');
    assert.equal((await exchange(socket, 'ping')).toString(), 'v1:pingbye');
  });

  test('a quiet TCP connection outlives the HTTP request-headers timeout on every hop', async () => {
    const ways = { gateway: () => connect(gateway.ports['gateway:31400'] as number, '127.0.0.1'), connect: async () => (await connectThrough(client.ports['outbound'] as number, 'echo:9000')).socket };
    for (const [way, open] of Object.entries(ways)) {
      const socket = await open();
      await new Promise((r) => setTimeout(r, HEADERS_TIMEOUT_MS * 3));
      assert.equal(socket.destroyed, false, way);
      assert.equal((await exchange(socket, 'still here')).toString(), 'v1:still herebye');
    }
  });

  test('64 MiB each way keeps every byte in order', async () => {
    const payload = Buffer.alloc(64 * 1024 * 1024);
    for (let i = 0; i < payload.length; i += 4) payload.writeUInt32LE(i, i);
    const socket = connect(gateway.ports['gateway:31400'] as number, '127.0.0.1');
    const got = await exchange(socket, payload);
    assert.equal(got.length, payload.length + 3);
    assert.ok(got.subarray(0, payload.length).equals(payload), 'the echoed bytes differ');
  });

  test('no route, a dead endpoint: the connection is closed and flagged NR or UF', async () => {
    events.length = 0;
    const picky = await connectThrough(client.ports['outbound'] as number, 'picky:9000');
    assert.match(picky.status, /^HTTP\/1.1 404/);
    picky.socket.destroy();
    const dead = await connectThrough(client.ports['outbound'] as number, 'dead:9000');
    assert.match(dead.status, /^HTTP\/1.1 503/);
    dead.socket.destroy();
    assert.deepEqual(events.filter((e) => e.phase === 'close').map((e) => e.responseFlags), ['NR', 'UF']);
    // The gateway's route admits only connections from its own namespace: a route that no longer matches closes at once.
    await push({ tcpServices: [{ name: 'tcp.31400', domains: ['*'], port: 31400, routes: [route([{ cluster: echoCluster, weight: 100 }], [{ port: 31401 }])] }] });
    const before = echo.connections;
    const socket = connect(gateway.ports['gateway:31400'] as number, '127.0.0.1');
    assert.equal((await exchange(socket, 'x')).length, 0);
    assert.equal(echo.connections, before, 'nothing reached the app');
    await push();
  });

  test('a DENY policy closes the connection before the app sees it; its HTTP-only fields are ignored for TCP', async () => {
    await push({
      security: {
        trustDomain: 'cluster.local',
        peerAuthentication: { mode: 'PERMISSIVE' },
        authorization: [{ name: 'deny-get', namespace: 'default', action: 'DENY', rules: [{ to: [{ methods: ['GET'], ports: ['9000'] }] }] }],
      },
    });
    events.length = 0;
    const before = echo.connections;
    const { socket, status } = await connectThrough(client.ports['outbound'] as number, 'echo:9000');
    assert.equal(status, 'HTTP/1.1 200 OK', 'the client side cannot know yet');
    assert.equal((await exchange(socket, 'let me in')).length, 0);
    assert.equal(echo.connections, before);
    await until(() => events.some((e) => e.reporter === 'destination' && e.phase === 'close'), 'the denial to be reported');
    assert.equal(events.find((e) => e.reporter === 'destination' && e.phase === 'close')?.responseFlags, 'RBAC');
    await push();
    const again = await connectThrough(client.ports['outbound'] as number, 'echo:9000');
    assert.equal((await exchange(again.socket, 'now')).toString(), 'v1:nowbye');
  });

  test('a flood of TCP connections past --max-connections is refused at accept; those held keep working, and a closed one frees its place', async () => {
    const limit = 8;
    const small = await startProxy(
      clientProxyOptions(discoveryPort, {
        node: { id: 'small-gateway.istio-system', kind: 'gateway', service: 'istio-ingressgateway', namespace: 'istio-system', serviceAccount: 'gw', labels: { istio: 'ingressgateway' }, address: '127.0.0.1', inboundPort: 0, servicePort: 0 },
        outboundPort: undefined,
        gatewayPorts: [{ port: 0, serverPort: 31400 }],
        downstream: { requestHeadersTimeoutMs: HEADERS_TIMEOUT_MS, maxConnections: limit },
      }),
    );
    const port = small.ports['gateway:31400'] as number;
    const sockets: Socket[] = [];
    /** Opens a connection through the gateway and sends a byte: answered when the echo's reply comes back, not when it is closed (a refused one is reset: no 'error' rejects here). */
    const open = (): Promise<{ socket: Socket; answered: boolean }> =>
      new Promise((resolve) => {
        const socket = connect(port, '127.0.0.1');
        sockets.push(socket);
        socket.on('error', () => undefined);
        socket.once('data', (c: Buffer) => resolve({ socket, answered: String(c) === 'v1:a' }));
        socket.once('close', () => resolve({ socket, answered: false }));
        socket.write('a');
      });
    try {
      await until(() => small.holder.current?.version === `tcp${version}`, 'the small gateway to have the snapshot');
      const held = [];
      for (let i = 0; i < limit; i++) held.push(await open());
      assert.deepEqual(held.map((h) => h.answered), Array(limit).fill(true), 'up to the limit every connection is carried');
      // Every held connection is one long request: none is idle, so none makes room.
      const flood = await Promise.all(Array.from({ length: 4 * limit }, () => open()));
      assert.deepEqual(flood.filter((f) => f.answered).length, 0, 'past the limit each new connection is closed at accept');
      const second = await Promise.all(held.map((h) => new Promise<string>((resolve) => {
        h.socket.once('data', (c: Buffer) => resolve(String(c)));
        h.socket.once('close', () => resolve('closed'));
        h.socket.write('b');
      })));
      assert.deepEqual(second, Array(limit).fill('v1:b'), 'the held connections still carry bytes');
      const closing = held.pop() as { socket: Socket };
      closing.socket.destroy();
      await once(closing.socket, 'close');
      // The gateway sees the close a moment later; until then a newcomer is still refused.
      let replacement = await open();
      for (const deadline = Date.now() + 2_000; !replacement.answered && Date.now() < deadline; ) {
        replacement.socket.destroy();
        await new Promise((r) => setTimeout(r, 50));
        replacement = await open();
      }
      assert.equal(replacement.answered, true, 'a closed connection frees its place');
    } finally {
      for (const socket of sockets) socket.destroy();
      await small.close();
    }
  });
});
