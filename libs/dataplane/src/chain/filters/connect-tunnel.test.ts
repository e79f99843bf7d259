// CONNECT through the sidecar's outbound listener: an app with the sidecar as its HTTPS_PROXY
// reaches an HTTPS host, its TLS end to end inside the tunnel. The "external" host is a stand-in
// HTTPS server on loopback (there is no internet here). Other listeners refuse CONNECT with 403.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { connect } from 'node:net';
import { ProxyAgent, request } from 'undici';
import type { RequestEvent } from '../../core/request-event.js';
import { issueCertificate, testCa, type TestCa } from '../../gateway/test-certificates.js';
import { startSidecarAndGateway, startUpstream, until, type SidecarAndGateway } from '../../test-support.js';
import { connectTarget } from './connect-tunnel.js';

describe('CONNECT target (authority-form)', () => {
  test('host and port, IPv6 in brackets; a port is required and a path is not a host', () => {
    assert.deepEqual(connectTarget('api.example.com:443'), { host: 'api.example.com', port: 443 });
    assert.deepEqual(connectTarget('[::1]:8443'), { host: '::1', port: 8443 });
    for (const bad of ['api.example.com', 'api.example.com:', ':443', 'a:0', 'a:65536', 'a:44x', '[::1:443', 'http://x:443', 'user@x:443']) assert.equal(typeof connectTarget(bad), 'string', bad);
  });
});

describe('CONNECT through the outbound listener (HTTPS_PROXY)', () => {
  let mesh: SidecarAndGateway;
  let app: Awaited<ReturnType<typeof startUpstream>>;
  let external: Server;
  let externalPort = 0;
  let ca: TestCa;
  const events: RequestEvent[] = [];

  before(async () => {
    ca = await testCa('stand-in external CA');
    const cert = await issueCertificate(ca, { commonName: 'localhost', dnsNames: ['localhost'] });
    // The stand-in for an external HTTPS API.
    external = createHttpsServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(`external ${req.method} ${req.url}`));
    await new Promise<void>((resolve) => external.listen(0, '127.0.0.1', resolve));
    externalPort = (external.address() as { port: number }).port;
    app = await startUpstream('app');
    mesh = await startSidecarAndGateway({ version: 'c1', appPort: app.port, proxies: { observer: (e) => events.push(e) } });
  });

  after(async () => {
    await mesh?.close();
    app?.server.close();
    external?.close();
  });

  const port = (name: 'outbound' | 'inbound' | 'gateway') => mesh.listeners().find((l) => l.name === name)?.port as number;

  test('a CONNECT to a mesh HTTP service is served here: the requests inside the tunnel are routed one by one (grpc-js grpc_proxy mode)', async () => {
    const socket = connect(port('outbound'), '127.0.0.1');
    socket.write('CONNECT svc:80 HTTP/1.1\r\nHost: svc:80\r\n\r\n');
    let text = '';
    socket.setEncoding('latin1').on('data', (c: string) => (text += c));
    await until(() => text.includes('\r\n\r\n'), 'the answer to CONNECT');
    assert.match(text, /^HTTP\/1.1 200 /);
    text = '';
    socket.write('GET /one HTTP/1.1\r\nHost: svc\r\n\r\n');
    await until(() => text.includes('app GET /one'), 'the first request inside the tunnel');
    socket.write('GET /two HTTP/1.1\r\nHost: svc\r\nConnection: close\r\n\r\n');
    await until(() => text.includes('app GET /two'), 'the second');
    socket.destroy();
  });

  test("an HTTPS request through the sidecar as the app's proxy reaches the external host, TLS end to end", async () => {
    const before = events.length;
    const dispatcher = new ProxyAgent({ uri: `http://127.0.0.1:${port('outbound')}`, requestTls: { ca: ca.certPem, servername: 'localhost' } });
    try {
      const res = await request(`https://localhost:${externalPort}/v1/things?id=3`, { dispatcher });
      assert.equal(res.statusCode, 200);
      assert.equal(await res.body.text(), 'external GET /v1/things?id=3');
    } finally {
      await dispatcher.close();
    }
    await until(() => events.length > before, 'the tunnel to be counted once it closed');
    const event = events.at(-1) as RequestEvent;
    assert.equal(event.method, 'CONNECT');
    assert.equal(event.responseCode, 200);
    assert.equal(event.upstreamCluster, 'PassthroughCluster');
    assert.equal(event.upstreamHost, `localhost:${externalPort}`);
    assert.ok(event.requestBytes > 0 && event.responseBytes > 0, 'the TLS bytes each way are counted');
  });

  test('a host that refuses the connection gets 503 UF; a target without a port 400', async () => {
    const closed = await rawConnect(port('outbound'), '127.0.0.1:1');
    assert.match(closed, /^HTTP\/1\.1 503 /);
    const portless = await rawConnect(port('outbound'), 'localhost');
    assert.match(portless, /^HTTP\/1\.1 400 /);
  });

  test('the inbound and gateway listeners refuse CONNECT with 403, as Envoy does where it is not configured', async () => {
    for (const name of ['inbound', 'gateway'] as const) assert.match(await rawConnect(port(name), `localhost:${externalPort}`), /^HTTP\/1\.1 403 /, name);
  });

  /** A raw CONNECT; returns what came back before the connection was closed or 2 s passed. */
  async function rawConnect(listener: number, target: string): Promise<string> {
    const socket = connect(listener, '127.0.0.1');
    socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`);
    let got = '';
    socket.on('data', (c: Buffer) => (got += c.toString()));
    await Promise.race([once(socket, 'close'), new Promise((r) => setTimeout(r, 2000))]);
    socket.destroy();
    return got;
  }
});
