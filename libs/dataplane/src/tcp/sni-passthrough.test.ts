// A Gateway server with tls.mode PASSTHROUGH: the gateway reads each ClientHello's server name,
// picks the tls route that names it, and carries the client's TLS to that backend's sidecar
// unterminated, so the client completes its handshake with the backend's own certificate. Two
// real HTTPS servers with certificates of their own stand behind two sidecars whose ports are
// named https (TCP-family). Plaintext between proxies here; mTLS is in the mesh e2e tests.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { startProxy, type RunningProxy } from '../proxy.js';
import { issueCertificate, testCa, type TestCa } from '../gateway/test-certificates.js';
import { clientProxyOptions, ScriptedDiscoveryServer, until } from '../test-support.js';

async function startBackend(ca: TestCa, name: string): Promise<{ server: Server; port: number }> {
  const cert = await issueCertificate(ca, { commonName: name, dnsNames: [name] });
  const server = createHttpsServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => res.end(`${name} says hi to ${req.headers.host}\n`));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port };
}

/** One HTTPS request through the gateway with this SNI; the answer and the certificate the client saw. */
async function get(port: number, servername: string, ca: string): Promise<{ body: string; subject: string }> {
  const socket = tlsConnect({ host: '127.0.0.1', port, servername, ca });
  await once(socket, 'secureConnect');
  const subject = String(socket.getPeerCertificate().subject?.CN);
  socket.end(`GET / HTTP/1.1\r\nHost: ${servername}\r\nConnection: close\r\n\r\n`);
  let body = '';
  socket.setEncoding('utf8').on('data', (c: string) => (body += c));
  await once(socket, 'close');
  return { body: body.slice(body.indexOf('\r\n\r\n') + 4), subject };
}

describe('SNI passthrough at the gateway', () => {
  const discovery = new ScriptedDiscoveryServer();
  let ca: TestCa;
  const backends: Array<{ server: Server; port: number }> = [];
  const sidecars: RunningProxy[] = [];
  let gateway: RunningProxy;

  before(async () => {
    ca = await testCa('backends-own-ca');
    backends.push(await startBackend(ca, 'a.example.com'), await startBackend(ca, 'b.example.com'));
    const xdsPort = await discovery.listen();
    for (const [i, name] of ['nginx-a', 'nginx-b'].entries()) {
      sidecars.push(
        await startProxy(
          clientProxyOptions(xdsPort, {
            node: { id: `${name}.default`, kind: 'sidecar', service: name, namespace: 'default', serviceAccount: name, labels: { app: name }, address: '127.0.0.1', inboundPort: 0, servicePort: 443, servicePortName: 'https' },
            inboundPort: 0,
            appPort: backends[i]?.port as number,
            outboundPort: undefined,
          }),
        ),
      );
    }
    gateway = await startProxy(
      clientProxyOptions(xdsPort, {
        node: { id: 'istio-ingressgateway.istio-system', kind: 'gateway', service: 'istio-ingressgateway', namespace: 'istio-system', serviceAccount: 'gw', labels: { istio: 'ingressgateway' }, address: '127.0.0.1', inboundPort: 0, servicePort: 0 },
        outboundPort: undefined,
        gatewayPorts: [{ port: 0, serverPort: 443 }],
      }),
    );
    const cluster = (name: string, i: number) => ({ name: `outbound|443||${name}.default.svc.cluster.local`, service: `${name}.default.svc.cluster.local`, port: 443, endpoints: [{ address: '127.0.0.1', port: sidecars[i]?.ports['inbound'] as number, workload: `${name}.default`, labels: { app: name } }] });
    discovery.push({
      version: 'sni1',
      routeConfigs: [],
      clusters: [cluster('nginx-a', 0), cluster('nginx-b', 1)],
      gatewayServers: [{ port: 443, protocol: 'HTTPS', hosts: ['a.example.com', '*.example.org'], routeConfig: 'tcp.443' }],
      tcpServices: [
        {
          name: 'tcp.443',
          domains: ['*'],
          port: 443,
          sni: true,
          routes: [
            { name: 'a', matches: [{ sniHosts: ['a.example.com'] }], clusters: [{ cluster: 'outbound|443||nginx-a.default.svc.cluster.local', weight: 100 }] },
            { name: 'b', matches: [{ sniHosts: ['*.example.org', 'b.example.com'] }], clusters: [{ cluster: 'outbound|443||nginx-b.default.svc.cluster.local', weight: 100 }] },
          ],
        },
      ],
    });
    await until(() => [gateway, ...sidecars].every((p) => p.holder.current?.version === 'sni1'), 'the snapshot on every proxy');
  });

  after(async () => {
    await Promise.all([gateway, ...sidecars].map((p) => p.close()));
    discovery.close();
    for (const b of backends) b.server.close();
  });

  test("each server name reaches its own backend, whose certificate the client sees (TLS is not terminated)", async () => {
    const port = gateway.ports['gateway:443'] as number;
    assert.deepEqual(await get(port, 'a.example.com', ca.certPem), { body: 'a.example.com says hi to a.example.com\n', subject: 'a.example.com' });
    // b's certificate names b.example.com only: a client that asks for another name would refuse it, so check the routing with b's own name.
    assert.deepEqual(await get(port, 'b.example.com', ca.certPem), { body: 'b.example.com says hi to b.example.com\n', subject: 'b.example.com' });
  });

  test('a wildcard sniHost matches names under it', async () => {
    const socket = tlsConnect({ host: '127.0.0.1', port: gateway.ports['gateway:443'] as number, servername: 'shop.example.org', ca: ca.certPem, checkServerIdentity: () => undefined });
    await once(socket, 'secureConnect');
    assert.equal(socket.getPeerCertificate().subject?.CN, 'b.example.com');
    socket.destroy();
  });

  test('a server name no route names, no server name, or no TLS at all: the connection is closed', async () => {
    const port = gateway.ports['gateway:443'] as number;
    for (const servername of ['c.example.com', '']) {
      const socket = tlsConnect({ host: '127.0.0.1', port, ...(servername ? { servername } : {}), ca: ca.certPem });
      const [error] = (await once(socket, 'error')) as [NodeJS.ErrnoException];
      assert.match(String(error.code ?? error.message), /ECONNRESET|socket disconnected/i, servername);
    }
    const plain = connect(port, '127.0.0.1');
    plain.end('GET / HTTP/1.1\r\nHost: a.example.com\r\n\r\n');
    let got = '';
    plain.on('data', (c: Buffer) => (got += c.toString()));
    await once(plain, 'close');
    assert.equal(got, '');
  });
});
