// gRPC through every listener (outbound, inbound, gateway) between real grpc-js peers: the client
// speaks h2c with prior knowledge to the proxy, the proxy speaks HTTP/2 to the app (the protocol
// the client used). Unary and the three streaming kinds, metadata and trailers both ways, error
// statuses (trailers-only answers), and a client's cancellation reaching the app.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { compileTrafficPolicy, type TrafficPolicy } from '@skiff/api';
import { ECHO, EchoClient, startEchoServer, unary, type Msg } from '@skiff/testing';
import type { RequestEvent } from '../core/request-event.js';
import { startSidecarAndGateway, until, type SidecarAndGateway } from '../test-support.js';

describe('gRPC on every listener', () => {
  let mesh: SidecarAndGateway;
  let app: Awaited<ReturnType<typeof startEchoServer>>;
  const clients: EchoClient[] = [];
  const events: RequestEvent[] = [];

  before(async () => {
    app = await startEchoServer();
    mesh = await startSidecarAndGateway({ version: 'g1', appPort: app.port, proxies: { observer: (e) => events.push(e) } });
  });

  after(async () => {
    for (const client of clients) client.close();
    await mesh?.close();
    app?.server.forceShutdown();
  });

  /** A client of each listener, addressing the service by authority as a gRPC app does through a proxy. */
  const clientFor = (port: number) => {
    const client = new EchoClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': 'svc' });
    clients.push(client);
    return client;
  };

  test('a unary call with metadata both ways and trailers', async () => {
    for (const listener of mesh.listeners()) {
      const client = clientFor(listener.port);
      const metadata = new grpc.Metadata();
      metadata.set('x-caller', listener.name);
      const { reply, error, trailers } = await unary(client, 'say', 'hi', { metadata });
      assert.equal(error, undefined, `${listener.name}: ${error?.message}`);
      assert.equal(reply?.text, `hi (seen by ${listener.name})`, listener.name);
      assert.deepEqual(trailers?.get('x-echo-trailer'), ['bye'], `${listener.name}: the app's trailer came through`);
    }
  });

  test("an error status and its message come through (the app's trailers-only answer)", async () => {
    for (const listener of mesh.listeners()) {
      const { error } = await unary(clientFor(listener.port), 'fail', 'x');
      assert.equal(error?.code, grpc.status.NOT_FOUND, listener.name);
      assert.equal(error?.details, 'no such message', listener.name);
    }
  });

  test('server streaming, client streaming and bidirectional streaming', async () => {
    for (const listener of mesh.listeners()) {
      const client = clientFor(listener.port);
      const counted = await new Promise<string[]>((resolve, reject) => {
        const got: string[] = [];
        const call = (client.countTo as (m: Msg) => grpc.ClientReadableStream<Msg>)({ text: '50' });
        call.on('data', (m: Msg) => got.push(m.text));
        call.on('end', () => resolve(got));
        call.on('error', reject);
      });
      assert.deepEqual(counted, Array.from({ length: 50 }, (_, i) => String(i + 1)), `${listener.name}: server streaming`);
      const joined = await new Promise<string>((resolve, reject) => {
        const call = (client.join as (cb: grpc.requestCallback<Msg>) => grpc.ClientWritableStream<Msg>)((error, m) => (error ? reject(error) : resolve(m?.text ?? '')));
        for (const part of ['a', 'b', 'c']) call.write({ text: part });
        call.end();
      });
      assert.equal(joined, 'a+b+c', `${listener.name}: client streaming`);
      const chatted = await new Promise<string[]>((resolve, reject) => {
        const got: string[] = [];
        const call = (client.chat as () => grpc.ClientDuplexStream<Msg, Msg>)();
        call.on('data', (m: Msg) => {
          got.push(m.text);
          // Each answer asks the next question: both directions stay open together.
          if (got.length < 3) call.write({ text: `q${got.length + 1}` });
          else call.end();
        });
        call.on('end', () => resolve(got));
        call.on('error', reject);
        call.write({ text: 'q1' });
      });
      assert.deepEqual(chatted, ['Q1', 'Q2', 'Q3'], `${listener.name}: bidirectional`);
    }
  });

  test("a client's deadline cancels the call at the app, through the proxy", async () => {
    for (const listener of mesh.listeners()) {
      const { error } = await unary(clientFor(listener.port), 'slow', listener.name, { deadline: 300 });
      assert.equal(error?.code, grpc.status.DEADLINE_EXCEEDED, listener.name);
      await until(() => app.cancelled.includes(listener.name), `${listener.name}: the app saw the call cancelled`);
    }
  });

  test('calls are reported as gRPC over HTTP/2: status, and messages counted each way', async () => {
    const inbound = clientFor(mesh.listeners().find((l) => l.name === 'inbound')?.port as number);
    const before = events.length;
    await unary(inbound, 'say', 'count me');
    await unary(inbound, 'fail', 'x');
    await new Promise<void>((resolve, reject) => {
      const call = (inbound.countTo as (m: Msg) => grpc.ClientReadableStream<Msg>)({ text: '7' });
      call.on('data', () => undefined);
      call.on('end', resolve);
      call.on('error', reject);
    });
    await until(() => events.length >= before + 3, 'three call events');
    const seen = events.slice(before).map((e) => ({ path: e.path, code: e.responseCode, protocol: e.protocol, version: e.httpVersion, grpc: e.grpcStatus, up: e.requestMessages, down: e.responseMessages }));
    assert.deepEqual(seen, [
      { path: '/skiff.test.Echo/Say', code: 200, protocol: 'grpc', version: 'HTTP/2', grpc: 0, up: 1, down: 1 },
      { path: '/skiff.test.Echo/Fail', code: 200, protocol: 'grpc', version: 'HTTP/2', grpc: 5, up: 1, down: 0 },
      { path: '/skiff.test.Echo/CountTo', code: 200, protocol: 'grpc', version: 'HTTP/2', grpc: 0, up: 1, down: 7 },
    ]);
  });
});

describe('gRPC and the route: timeouts, deadlines, faults, retries and local answers as gRPC statuses', () => {
  let mesh: SidecarAndGateway;
  let good: Awaited<ReturnType<typeof startEchoServer>>;
  let bad: { server: grpc.Server; port: number; calls: number };
  const clients: EchoClient[] = [];

  /** An endpoint that answers every call UNAVAILABLE (trailers-only), as a failing replica does. */
  async function startUnavailableServer(): Promise<{ server: grpc.Server; port: number; calls: number }> {
    const state = { server: new grpc.Server(), port: 0, calls: 0 };
    const unavailable = (_call: unknown, done: grpc.sendUnaryData<Msg>) => {
      state.calls++;
      done({ code: grpc.status.UNAVAILABLE, details: 'draining' });
    };
    state.server.addService(ECHO, { say: unavailable, fail: unavailable, slow: unavailable, countTo: () => undefined, join: () => undefined, chat: () => undefined });
    state.port = await new Promise<number>((resolve, reject) => state.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))));
    return state;
  }

  /** Routes host `svc` with `action` on every listener (a scripted push, as the control plane would send). */
  async function route(version: string, action: Record<string, unknown>, endpoints: number[], trafficPolicy?: TrafficPolicy): Promise<void> {
    const routes = (name: string) => ({ name, virtualHosts: [{ name: 'svc', domains: ['svc', 'svc:80'], routes: [{ name: 'to-app', action: { kind: 'route' as const, clusters: [{ cluster: 'app', weight: 100 }], retries: { attempts: 0, retryOn: [], retriableStatusCodes: [] }, ...action } }] }] });
    mesh.discovery.push({
      version,
      routeConfigs: [routes('80'), routes('http.80')],
      clusters: [{ name: 'app', service: 'svc', port: 80, endpoints: endpoints.map((port) => ({ address: '127.0.0.1', port, workload: `app-${port}`, labels: {} })), ...(trafficPolicy ? { policy: compileTrafficPolicy(trafficPolicy) } : {}) }],
      gatewayServers: [{ port: 80, protocol: 'HTTP', hosts: ['*'], routeConfig: 'http.80' }],
    });
    await until(() => mesh.sidecar.holder.current?.version === version && mesh.gateway.holder.current?.version === version, `push ${version}`);
  }

  const gatewayClient = () => {
    const client = new EchoClient(`127.0.0.1:${mesh.listeners().find((l) => l.name === 'gateway')?.port}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': 'svc' });
    clients.push(client);
    return client;
  };

  before(async () => {
    good = await startEchoServer();
    bad = await startUnavailableServer();
    mesh = await startSidecarAndGateway({ version: 'r0', appPort: good.port });
  });

  after(async () => {
    for (const client of clients) client.close();
    await mesh?.close();
    good?.server.forceShutdown();
    bad?.server.forceShutdown();
  });

  test("the route's timeout answers DEADLINE_EXCEEDED (Envoy's gRPC timeout), and the app's call is cancelled", async () => {
    await route('r1', { timeoutMs: 300 }, [good.port]);
    const started = Date.now();
    const { error } = await unary(gatewayClient(), 'slow', 'route-timeout', { deadline: 5000 });
    assert.equal(error?.code, grpc.status.DEADLINE_EXCEEDED);
    assert.equal(error?.details, 'upstream request timeout');
    assert.ok(Date.now() - started < 2000, 'answered at the route timeout, not the client deadline');
    await until(() => good.cancelled.includes('route-timeout'), 'the app saw the call cancelled');
  });

  test("a client's grpc-timeout is honoured by the proxy when the route has no timeout", async () => {
    await route('r2', {}, [good.port]);
    // A raw HTTP/2 client that sends grpc-timeout but keeps no timer of its own: only the proxy can end the call.
    const session = http2.connect(`http://127.0.0.1:${mesh.listeners().find((l) => l.name === 'gateway')?.port}`);
    const body = Buffer.from(JSON.stringify({ text: 'raw-deadline' }));
    const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, body.length]), body]);
    const started = Date.now();
    const headers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
      const req = session.request({ ':method': 'POST', ':path': '/skiff.test.Echo/Slow', ':authority': 'svc', 'content-type': 'application/grpc', te: 'trailers', 'grpc-timeout': '250m' });
      let head: http2.IncomingHttpHeaders = {};
      req.on('response', (h) => (head = h));
      req.on('trailers', (t) => (head = { ...head, ...t }));
      req.on('end', () => resolve(head));
      req.on('error', reject);
      req.resume();
      req.end(frame);
    });
    session.close();
    assert.equal(headers['grpc-status'], String(grpc.status.DEADLINE_EXCEEDED));
    assert.ok(Date.now() - started < 2000, `ended by the proxy at the client's deadline (${Date.now() - started} ms)`);
    await until(() => good.cancelled.includes('raw-deadline'), 'the app saw the call cancelled');
  });

  test('fault.abort.grpcStatus answers that status to every call', async () => {
    await route('r3', { fault: { abort: { httpStatus: 200, grpcStatus: grpc.status.UNAVAILABLE, percent: 100 } } }, [good.port]);
    const { error } = await unary(gatewayClient(), 'say', 'x');
    assert.equal(error?.code, grpc.status.UNAVAILABLE);
    assert.equal(error?.details, 'fault filter abort');
  });

  test('retries on unavailable hide an endpoint that answers UNAVAILABLE', async () => {
    await route('r4', { retries: { attempts: 2, retryOn: ['unavailable'], retriableStatusCodes: [] } }, [good.port, bad.port]);
    const client = gatewayClient();
    const before = bad.calls;
    for (let i = 0; i < 40; i++) {
      const { error, reply } = await unary(client, 'say', `call ${i}`);
      assert.equal(error, undefined, `call ${i}: ${error?.message}`);
      assert.match(reply?.text ?? '', /^call \d+/);
    }
    assert.ok(bad.calls - before > 0, 'the failing endpoint was tried (and its answers retried)');
  });

  test('outlier detection counts UNAVAILABLE answers as 503s and ejects the endpoint that gives them', async () => {
    // Round robin, so the failing endpoint's three answers come within the first six calls.
    await route('r6', {}, [good.port, bad.port], { loadBalancer: { simple: 'ROUND_ROBIN' }, outlierDetection: { consecutive5xxErrors: 3, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 100 } });
    const client = gatewayClient();
    const before = bad.calls;
    const codes: number[] = [];
    const errors: string[] = [];
    for (let i = 0; i < 30; i++) {
      const { error } = await unary(client, 'say', `call ${i}`);
      codes.push(error?.code ?? grpc.status.OK);
      if (error) errors.push(`call ${i}: ${error.message}`);
    }
    assert.equal(bad.calls - before, 3, `three UNAVAILABLE answers in a row, then the endpoint was ejected; ${errors.join('; ')}`);
    assert.deepEqual(codes.slice(6), new Array(24).fill(grpc.status.OK), `after the ejection every call reaches the good endpoint; ${errors.join('; ')}`);
  });

  test('without retries the same endpoint shows through, as the status it answered', async () => {
    await route('r5', {}, [bad.port]);
    const { error } = await unary(gatewayClient(), 'say', 'x');
    assert.equal(error?.code, grpc.status.UNAVAILABLE);
    assert.equal(error?.details, 'draining');
  });

  test("the proxy's own answers are gRPC statuses: no route is UNIMPLEMENTED", async () => {
    // The gateway routes host svc only: another authority gets Envoy's 404 NR, told as gRPC's mapping of 404.
    const client = new EchoClient(`127.0.0.1:${mesh.listeners().find((l) => l.name === 'gateway')?.port}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': 'nowhere.example' });
    clients.push(client);
    const { error } = await unary(client, 'say', 'x');
    assert.equal(error?.code, grpc.status.UNIMPLEMENTED, error?.message);
    assert.equal(error?.details, 'no route for host "nowhere.example"');
  });
});
