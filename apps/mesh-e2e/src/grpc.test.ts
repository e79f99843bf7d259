// gRPC through the mesh, each proxy a process of its own as `skiff up` runs them: a grpc-js
// client speaks h2c to its sidecar's outbound listener (the service named as the authority),
// which routes by Istio's VirtualService and speaks HTTP/2 over mutual TLS (ALPN h2) to the
// sidecar of echo v1 or v2, which speaks h2c to a grpc-js server. Echo's port is named
// "grpc-echo", so both hops are HTTP/2 because the port says so (docs/traffic-management.md). Unary and every streaming kind
// cross it; a weighted 80/20 split lands within an exact binomial interval; each side's metrics
// say gRPC, its status, and mTLS.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { freePorts } from '@skiff/launcher';
import { binomialInterval, EchoClient, get, startEchoServer, startProcessMesh, unary, waitFor, type Msg, type ProcessMesh } from '@skiff/testing';

const config = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: echo}
spec:
  host: echo
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: echo}
spec:
  hosts: [echo]
  http:
  - match: [{uri: {prefix: /skiff.test.Echo/Say}}]
    route:
    - {destination: {host: echo, subset: v1}, weight: 80}
    - {destination: {host: echo, subset: v2}, weight: 20}
  - route:
    - destination: {host: echo, subset: v1}
`;

const CALLS = 400;

describe('gRPC through two sidecars and mTLS', { timeout: 180_000 }, () => {
  let mesh: ProcessMesh;
  const servers: grpc.Server[] = [];
  let client: InstanceType<typeof EchoClient>;
  const metrics: Record<string, string> = {};

  before(async () => {
    const [callerApp, v1App, v2App] = (await freePorts(3)) as [number, number, number];
    for (const [label, appPort] of [['v1', v1App], ['v2', v2App]] as const) servers.push((await startEchoServer({ label, port: appPort })).server);
    // Echo's port is named as a Kubernetes Service would name it: Istio reads gRPC from "grpc-…".
    mesh = await startProcessMesh({
      config,
      workloads: [
        { name: 'caller', version: 'v1', portName: 'http', appPort: callerApp },
        { name: 'echo-v1', service: 'echo', version: 'v1', portName: 'grpc-echo', appPort: v1App },
        { name: 'echo-v2', service: 'echo', version: 'v2', portName: 'grpc-echo', appPort: v2App },
      ],
    });
    metrics['caller'] = mesh.proxies['caller-proxy']?.metrics as string;
    metrics['echo-v1'] = mesh.proxies['echo-v1-proxy']?.metrics as string;
    client = new EchoClient(`127.0.0.1:${mesh.proxies['caller-proxy']?.outbound}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': 'echo:9080' });
    // Both versions answer before anything is measured (config reaches proxies in turn).
    const seen = new Set<string>();
    await waitFor('both versions to answer through the mesh', async () => {
      const { reply } = await unary(client, 'say', 'warm-up');
      const version = /from (v\d)$/.exec(reply?.text ?? '')?.[1];
      if (version) seen.add(version);
      return seen.size === 2;
    }, 30_000);
  });

  after(async () => {
    client?.close();
    await mesh?.stop();
    for (const server of servers) server.forceShutdown();
  });

  test(`a weighted 80/20 split of ${CALLS} unary calls lands within the exact binomial interval, every call answered`, async () => {
    let v2 = 0;
    for (let i = 0; i < CALLS; i++) {
      const { reply, error } = await unary(client, 'say', `call ${i}`);
      assert.equal(error, undefined, `call ${i}: ${error?.message}`);
      if (reply?.text.endsWith('from v2')) v2++;
      else assert.match(reply?.text ?? '', /from v1$/, `call ${i}`);
    }
    const { low, high } = binomialInterval(CALLS, 0.2, 0.999);
    assert.ok(v2 >= low && v2 <= high, `${v2} of ${CALLS} calls reached v2; the 99.9% interval for 20% is [${low}, ${high}]`);
  });

  test('server, client and bidirectional streaming cross the mTLS hop', async () => {
    const counted = await new Promise<string[]>((resolve, reject) => {
      const got: string[] = [];
      const call = (client.countTo as (m: Msg) => grpc.ClientReadableStream<Msg>)({ text: '200' });
      call.on('data', (m: Msg) => got.push(m.text));
      call.on('end', () => resolve(got));
      call.on('error', reject);
    });
    assert.equal(counted.length, 200);
    assert.equal(counted.at(-1), '200');
    const joined = await new Promise<string>((resolve, reject) => {
      const call = (client.join as (cb: grpc.requestCallback<Msg>) => grpc.ClientWritableStream<Msg>)((error, m) => (error ? reject(error) : resolve(m?.text ?? '')));
      for (let i = 0; i < 100; i++) call.write({ text: String(i % 10) });
      call.end();
    });
    assert.equal(joined.split('+').length, 100);
    const chatted = await new Promise<string[]>((resolve, reject) => {
      const got: string[] = [];
      const call = (client.chat as () => grpc.ClientDuplexStream<Msg, Msg>)();
      call.on('data', (m: Msg) => {
        got.push(m.text);
        if (got.length < 20) call.write({ text: `m${got.length + 1}` });
        else call.end();
      });
      call.on('end', () => resolve(got));
      call.on('error', reject);
      call.write({ text: 'm1' });
    });
    assert.equal(chatted.length, 20);
    assert.equal(chatted[19], 'M20');
  });

  test("the server's sidecar reports gRPC over mutual TLS, with each call's status and messages", async () => {
    await unary(client, 'fail', 'x');
    const lines = (await get(metrics['echo-v1'] as string)).text.split('\n');
    const grpcLine = (metric: string, status: string) =>
      lines.find((l) => l.startsWith(`${metric}{`) && l.includes('reporter="destination"') && l.includes('request_protocol="grpc"') && l.includes(`grpc_response_status="${status}"`) && l.includes('connection_security_policy="mutual_tls"') && l.includes('source_workload="caller"'));
    assert.ok(grpcLine('istio_requests_total', '0'), 'calls answered OK, from the caller, over mTLS');
    assert.ok(grpcLine('istio_requests_total', '5'), 'the NOT_FOUND call');
    const responseMessages = grpcLine('istio_response_messages_total', '0');
    assert.ok(responseMessages && Number(responseMessages.slice(responseMessages.lastIndexOf(' ') + 1)) >= 200, `the 200 streamed answers are counted: ${responseMessages}`);
  });

  test("grpc-js's own proxy mode (grpc_proxy): a CONNECT to the service on the sidecar, then calls routed one by one as before", async () => {
    // grpc-js reads grpc_proxy when a channel is made; it then dials the proxy and sends CONNECT echo:9080.
    const saved = process.env['grpc_proxy'];
    process.env['grpc_proxy'] = `http://127.0.0.1:${mesh.proxies['caller-proxy']?.outbound}`;
    let proxied: InstanceType<typeof EchoClient>;
    try {
      proxied = new EchoClient('echo:9080', grpc.credentials.createInsecure());
    } finally {
      if (saved === undefined) delete process.env['grpc_proxy'];
      else process.env['grpc_proxy'] = saved;
    }
    try {
      const seen = { v1: 0, v2: 0 };
      for (let i = 0; i < 100; i++) {
        const { reply, error } = await unary(proxied, 'say', `proxied ${i}`);
        assert.equal(error, undefined, `call ${i}: ${error?.message}`);
        const version = /from (v1|v2)$/.exec(reply?.text ?? '')?.[1] as 'v1' | 'v2' | undefined;
        assert.ok(version, `call ${i}: ${reply?.text}`);
        seen[version]++;
      }
      // One tunnel, yet both versions answer: the split is per call (HTTP/2 routing), not per connection.
      assert.ok(seen.v1 > 0 && seen.v2 > 0, JSON.stringify(seen));
    } finally {
      proxied.close();
    }
  });
});
