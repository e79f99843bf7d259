// TCP through the mesh, each proxy a process of its own as `skiff up` runs them. Istio's TCP
// traffic-shifting task with its own YAML (samples/tcp-echo/): `nc` to the ingress gateway's TCP
// port 31400 reaches tcp-echo v1 ("one …") or v2 ("two …") over mutual TLS, first all v1, then
// 80/20 within an exact binomial interval. A TCP AuthorizationPolicy lets the gateway in and
// closes a caller's connection (a CONNECT through its sidecar, as an explicit-mode app opens TCP).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { freePorts } from '@skiff/launcher';
import { applyConfig, binomialInterval, get, repoRoot, startProcessMesh, waitFor, type ProcessMesh } from '@skiff/testing';
import { createTcpEchoServer } from '@skiff/sample-kit';

const sample = (file: string) => readFileSync(join(repoRoot, 'samples', 'tcp-echo', file), 'utf8');
const allV1 = sample('tcp-echo-all-v1.yaml');
/** `kubectl apply -f tcp-echo-20-v2.yaml` over all-v1: the VirtualService named tcp-echo is replaced. */
const twentyV2 = allV1.split(/^---$/m).filter((doc) => !/kind: VirtualService/.test(doc)).join('---') + '---\n' + sample('tcp-echo-20-v2.yaml');

const CONNECTIONS = 400;

/** What `(date; sleep 1) | nc <gateway> 31400` prints, minus the sleep: one line out, the echo back. */
async function nc(port: number, line: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  let got = '';
  socket.setEncoding('utf8').on('data', (c: string) => (got += c));
  socket.on('error', () => undefined);
  socket.end(`${line}\n`);
  await once(socket, 'close');
  return got;
}

/** As `echo <line> | nc -X connect -x <sidecar> tcp-echo 9000` does it: CONNECT, wait for the answer, then the line and a half-close. */
async function ncThroughSidecar(outbound: number, authority: string, line: string): Promise<{ status: string; echoed: string }> {
  const socket: Socket = connect(outbound, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
  let got = '';
  let sent = false;
  socket.setEncoding('latin1').on('data', (c: string) => {
    got += c;
    if (!sent && got.includes('\r\n\r\n')) {
      sent = true;
      socket.end(`${line}\n`);
    }
  });
  await once(socket, 'close');
  const end = got.indexOf('\r\n\r\n');
  return { status: got.slice(0, got.indexOf('\r\n')), echoed: end < 0 ? '' : got.slice(end + 4) };
}

describe("Istio's TCP traffic-shifting task", { timeout: 180_000 }, () => {
  let mesh: ProcessMesh;
  let gateway: number;
  const servers: Server[] = [];

  before(async () => {
    const [v1App, v2App, curlApp] = (await freePorts(3)) as [number, number, number];
    for (const [prefix, port] of [['one', v1App], ['two', v2App]] as const) {
      const server = createTcpEchoServer(prefix);
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
      servers.push(server);
    }
    const curl = createServer((s) => s.destroy()); // the caller's own app: nothing calls it
    curl.listen(curlApp, '127.0.0.1');
    await once(curl, 'listening');
    servers.push(curl);
    // tcp-echo's Service names its port "tcp": Istio reads the protocol from the name.
    mesh = await startProcessMesh({
      config: allV1,
      gateway: { serverPorts: [31400] },
      workloads: [
        { name: 'tcp-echo-v1', service: 'tcp-echo', version: 'v1', portName: 'tcp', servicePort: 9000, appPort: v1App },
        { name: 'tcp-echo-v2', service: 'tcp-echo', version: 'v2', portName: 'tcp', servicePort: 9000, appPort: v2App },
        { name: 'curl', version: 'v1', portName: 'http', appPort: curlApp },
      ],
    });
    gateway = mesh.gatewayPorts[31400] as number;
    await waitFor('tcp-echo v1 to answer through the gateway', async () => (await nc(gateway, 'warm-up')) === 'one warm-up\n', 30_000);
  });

  after(async () => {
    await mesh?.stop();
    for (const server of servers) server.close();
  });

  test('tcp-echo-all-v1.yaml: every connection reaches v1', async () => {
    for (let i = 0; i < 20; i++) assert.equal(await nc(gateway, `hello ${i}`), `one hello ${i}\n`);
  });

  test(`tcp-echo-20-v2.yaml: ${CONNECTIONS} connections split 80/20 within the exact binomial interval, every one answered`, async () => {
    await applyConfig(mesh, { 'mesh.yaml': twentyV2 }, { timeoutMs: 30_000 });
    const counts = { one: 0, two: 0 };
    for (let i = 0; i < CONNECTIONS; i++) {
      const reply = await nc(gateway, `conn ${i}`);
      const version = /^(one|two) conn (\d+)\n$/.exec(reply);
      assert.ok(version && version[2] === String(i), `connection ${i} got ${JSON.stringify(reply)}`);
      counts[version[1] as 'one' | 'two']++;
    }
    const { low, high } = binomialInterval(CONNECTIONS, 0.2, 0.999);
    assert.ok(counts.two >= low && counts.two <= high, `v2 got ${counts.two} of ${CONNECTIONS}, expected ${low}..${high}`);
  });

  test('each hop reports the connections with Istio metrics over mutual TLS', async () => {
    const gatewayText = await get(mesh.proxies['gateway']?.metrics as string);
    const v2Text = await get(mesh.proxies['tcp-echo-v2-proxy']?.metrics as string);
    const series = (text: string, name: string, labels: string[]) =>
      text.split('\n').filter((l) => l.startsWith(`${name}{`) && labels.every((x) => l.includes(x))).reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    const toV2 = ['reporter="source"', 'destination_version="v2"', 'destination_service="tcp-echo.default.svc.cluster.local"', 'connection_security_policy="mutual_tls"'];
    const opened = series(gatewayText.text, 'istio_tcp_connections_opened_total', toV2);
    assert.ok(opened > 0, 'the gateway counted connections to v2');
    assert.equal(series(gatewayText.text, 'istio_tcp_connections_closed_total', toV2), opened, 'every one closed');
    assert.ok(series(gatewayText.text, 'istio_tcp_sent_bytes_total', toV2) > 0);
    // The principal from the gateway's certificate; its workload name from the peer metadata preamble.
    const atV2 = ['reporter="destination"', 'destination_workload="tcp-echo-v2"', 'source_workload="istio-ingressgateway"', 'source_principal="spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"', 'connection_security_policy="mutual_tls"'];
    assert.equal(series(v2Text.text, 'istio_tcp_connections_closed_total', atV2), opened, 'the server side saw the same connections');
    assert.ok(series(v2Text.text, 'istio_tcp_received_bytes_total', atV2) > 0);
  });

  test('a TCP AuthorizationPolicy lets the gateway in and closes the connection of a caller it does not name', async () => {
    const curlOutbound = mesh.proxies['curl-proxy']?.outbound as number;
    const before = await ncThroughSidecar(curlOutbound, 'tcp-echo:9000', 'from curl');
    assert.equal(before.status, 'HTTP/1.1 200 OK');
    assert.match(before.echoed, /^(one|two) from curl\n$/);
    const policy = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: tcp-echo}
spec:
  selector: {matchLabels: {app: tcp-echo}}
  action: ALLOW
  rules:
  - from: [{source: {principals: [cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account]}}]
    to: [{operation: {ports: ["9000"]}}]
`;
    await applyConfig(mesh, { 'policy.yaml': policy }, { timeoutMs: 30_000 });
    for (let i = 0; i < 10; i++) {
      const refused = await ncThroughSidecar(curlOutbound, 'tcp-echo:9000', 'from curl');
      assert.equal(refused.echoed, '', `curl's connection ${i} was closed without an echo`);
      assert.match(await nc(gateway, `gateway ${i}`), new RegExp(`^(one|two) gateway ${i}\\n$`));
    }
  });
});
