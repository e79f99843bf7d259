// Gateway TLS termination through a real gateway proxy: SIMPLE with certificate files and with
// a named credential (picked by SNI), MUTUAL with and without a client certificate,
// httpsRedirect on the plaintext port, certificate reload, and refusal without material.
import http2 from 'node:http2';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { connect } from 'node:tls';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import type { ProxySnapshotInput } from '@skiff/api';
import { startProxy, type RunningProxy } from '../proxy.js';
import { ScriptedDiscoveryServer, startUpstream, until } from '../test-support.js';
import { issueCertificate, testCa, type TestCa, type TestCertificate } from './test-certificates.js';

type GatewayServers = NonNullable<ProxySnapshotInput['gatewayServers']>;

interface ClientTls {
  servername: string;
  ca: string;
  cert?: string;
  key?: string;
}

describe('gateway TLS termination', () => {
  let discovery: ScriptedDiscoveryServer;
  let proxy: RunningProxy;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let dir: string;
  let serverCa: TestCa;
  let clientCa: TestCa;
  let strangerCa: TestCa;
  let filesCert: TestCertificate;
  let credentialCert: TestCertificate;
  let clientCert: TestCertificate;
  let strangerCert: TestCertificate;
  const logs: Array<{ level: string; msg: string; [k: string]: unknown }> = [];
  let version = 0;
  const port = (serverPort: number) => proxy.ports[`gateway:${serverPort}`] as number;

  async function push(gatewayServers: GatewayServers): Promise<void> {
    const v = `g${++version}`;
    const route = (name: string) => ({ name, virtualHosts: [{ name: 'all', domains: ['*'], routes: [{ name: 'to-frontend', action: { kind: 'route' as const, clusters: [{ cluster: 'frontend', weight: 100 }] } }] }] });
    discovery.push({
      version: v,
      routeConfigs: [route('http.80'), route('http.443'), route('http.8443')],
      // An http port (HTTP/1.1 upstream), as the control plane marks a port named "http".
      clusters: [{ name: 'frontend', service: 'frontend', port: 9080, endpoints: [{ address: '127.0.0.1', port: upstream.port, workload: 'frontend', labels: {} }], protocol: 'HTTP/1.1' }],
      gatewayServers,
    });
    await until(() => proxy.holder.current?.version === v, `snapshot ${v}`);
  }

  /** An HTTPS request through the gateway; `error` when the handshake or the request fails. */
  async function https(serverPort: number, tls: ClientTls, path = '/'): Promise<{ status?: number; text?: string; error?: string }> {
    const dispatcher = new Agent({ connect: { ...tls } });
    try {
      const res = await request(`https://127.0.0.1:${port(serverPort)}${path}`, { dispatcher, headers: { host: tls.servername }, headersTimeout: 5000 });
      return { status: res.statusCode, text: await res.body.text() };
    } catch (error) {
      return { error: (error as { code?: string }).code ?? String(error) };
    } finally {
      await dispatcher.close().catch(() => undefined);
    }
  }

  /** The certificate the gateway presents for a server name. */
  function presented(serverPort: number, servername: string): Promise<string | undefined> {
    return new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: port(serverPort), servername, rejectUnauthorized: false }, () => {
        resolve(socket.getPeerCertificate().fingerprint256);
        socket.destroy();
      });
      socket.on('error', () => resolve(undefined));
    });
  }

  const fingerprint = (cert: TestCertificate) => new X509Certificate(cert.certPem).fingerprint256;
  const writeCredential = (name: string, files: Record<string, string>) => {
    mkdirSync(join(dir, 'credentials', name), { recursive: true });
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, 'credentials', name, file), text);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-gateway-tls-'));
    serverCa = await testCa('server CA');
    clientCa = await testCa('client CA');
    strangerCa = await testCa('stranger CA');
    filesCert = await issueCertificate(serverCa, { commonName: 'files', dnsNames: ['files.example.com'] });
    credentialCert = await issueCertificate(serverCa, { commonName: 'shop', dnsNames: ['shop.example.com', '*.shop.example.com'] });
    clientCert = await issueCertificate(clientCa, { commonName: 'partner' });
    strangerCert = await issueCertificate(strangerCa, { commonName: 'stranger' });
    writeFileSync(join(dir, 'files.crt'), filesCert.certPem);
    writeFileSync(join(dir, 'files.key'), filesCert.keyPem);
    writeFileSync(join(dir, 'client-ca.crt'), clientCa.certPem);
    writeCredential('shop-cert', { 'tls.crt': credentialCert.certPem, 'tls.key': credentialCert.keyPem, 'ca.crt': clientCa.certPem });

    discovery = new ScriptedDiscoveryServer();
    const xdsPort = await discovery.listen();
    upstream = await startUpstream('frontend');
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line) as (typeof logs)[number]);
        done();
      },
    });
    proxy = await startProxy({
      node: { id: 'istio-ingressgateway.istio-system', kind: 'gateway', service: 'istio-ingressgateway', namespace: 'istio-system', serviceAccount: 'gw', labels: { istio: 'ingressgateway' }, address: '127.0.0.1', inboundPort: 0, servicePort: 0 },
      controlPlane: `127.0.0.1:${xdsPort}`,
      discovery: { plaintext: true }, // a scripted stand-in for the control plane (test-support.ts)
      logger: pino({ level: 'debug', formatters: { level: (label) => ({ level: label }) } }, sink),
      bindHost: '127.0.0.1',
      adminPort: 0,
      gatewayPorts: [
        { port: 0, serverPort: 80 },
        { port: 0, serverPort: 443 },
        { port: 0, serverPort: 8443 },
      ],
      credentialsDir: join(dir, 'credentials'),
    });
    await push([
      { port: 80, protocol: 'HTTP', hosts: ['shop.example.com'], routeConfig: 'http.80', httpsRedirect: true },
      { port: 80, protocol: 'HTTP', hosts: ['plain.example.com'], routeConfig: 'http.80' },
      { port: 443, protocol: 'HTTPS', hosts: ['files.example.com'], routeConfig: 'http.443', tls: { mode: 'SIMPLE', serverCertificate: join(dir, 'files.crt'), privateKey: join(dir, 'files.key') } },
      { port: 443, protocol: 'HTTPS', hosts: ['*.shop.example.com', 'shop.example.com'], routeConfig: 'http.443', tls: { mode: 'SIMPLE', credentialName: 'shop-cert' } },
      { port: 8443, protocol: 'HTTPS', hosts: ['*'], routeConfig: 'http.8443', tls: { mode: 'MUTUAL', serverCertificate: join(dir, 'files.crt'), privateKey: join(dir, 'files.key'), caCertificates: join(dir, 'client-ca.crt') } },
    ]);
  });

  after(async () => {
    await proxy?.close();
    discovery?.close();
    upstream?.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('SIMPLE with certificate files: HTTPS reaches the upstream, which learns the client used https', async () => {
    const res = await https(443, { servername: 'files.example.com', ca: serverCa.certPem }, '/products?id=1');
    assert.deepEqual(res, { status: 200, text: 'frontend GET /products?id=1' });
    const seen = upstream.received.at(-1);
    assert.equal(seen?.headers['x-forwarded-proto'], 'https');
    assert.equal(seen?.headers.host, 'files.example.com');
    // A client that does not trust the server's CA refuses the gateway's certificate.
    const untrusting = await https(443, { servername: 'files.example.com', ca: strangerCa.certPem });
    assert.equal(untrusting.status, undefined, JSON.stringify(untrusting));
  });

  test('a client that speaks HTTP/2 (ALPN h2) is served over it, and the HTTP/1.1 upstream is spoken to as HTTP/1.1', async () => {
    const session = http2.connect(`https://127.0.0.1:${port(443)}`, { ca: serverCa.certPem, servername: 'files.example.com' });
    session.on('error', () => undefined);
    try {
      const answer = await new Promise<{ status: number; body: string; alpn: string | false | undefined }>((resolve, reject) => {
        const req = session.request({ ':path': '/over-h2', ':authority': 'files.example.com' });
        let status = 0;
        let body = '';
        req.on('response', (h) => (status = Number(h[':status'])));
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => resolve({ status, body, alpn: session.alpnProtocol }));
        req.on('error', reject);
        req.end();
      });
      assert.deepEqual(answer, { status: 200, body: 'frontend GET /over-h2', alpn: 'h2' });
      assert.equal(upstream.received.at(-1)?.headers['x-forwarded-proto'], 'https');
    } finally {
      session.close();
    }
  });

  test('credentialName: SNI picks the server and its certificate; an unknown name gets the first server', async () => {
    const res = await https(443, { servername: 'www.shop.example.com', ca: serverCa.certPem });
    assert.equal(res.status, 200, JSON.stringify(res));
    assert.equal(await presented(443, 'shop.example.com'), fingerprint(credentialCert));
    assert.equal(await presented(443, 'files.example.com'), fingerprint(filesCert));
    assert.equal(await presented(443, 'unknown.example.org'), fingerprint(filesCert));
  });

  test('MUTUAL: a client certificate from the trusted CA is accepted; none, or a stranger\'s, is refused', async () => {
    const tls = { servername: 'files.example.com', ca: serverCa.certPem };
    const withCert = await https(8443, { ...tls, cert: clientCert.certPem, key: clientCert.keyPem });
    assert.equal(withCert.status, 200, JSON.stringify(withCert));
    const without = await https(8443, tls);
    assert.equal(without.status, undefined, `no client certificate must be refused, got ${JSON.stringify(without)}`);
    const stranger = await https(8443, { ...tls, cert: strangerCert.certPem, key: strangerCert.keyPem });
    assert.equal(stranger.status, undefined, `a certificate from another CA must be refused, got ${JSON.stringify(stranger)}`);
    // SIMPLE does not ask for one: the same client without a certificate is fine on 443.
    assert.equal((await https(443, tls)).status, 200);
  });

  test('httpsRedirect: plaintext requests for that server\'s hosts get 301 to https; other servers on the port route', async () => {
    const plain = (host: string, path: string) =>
      new Promise<{ status?: number; location?: string; body: string }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: port(80), path, headers: { host } }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode, location: res.headers.location, body }));
        });
        req.on('error', reject);
        req.end();
      });
    const before = upstream.received.length;
    assert.deepEqual(await plain('shop.example.com', '/cart?item=2'), { status: 301, location: 'https://shop.example.com/cart?item=2', body: '' });
    assert.deepEqual(await plain('shop.example.com:8080', '/'), { status: 301, location: 'https://shop.example.com:8080/', body: '' });
    assert.equal(upstream.received.length, before, 'a redirected request never reaches the upstream');
    const routed = await plain('plain.example.com', '/x');
    assert.equal(routed.status, 200);
    assert.equal(upstream.received.at(-1)?.headers['x-forwarded-proto'], 'http');
  });

  test('plaintext HTTP sent to a TLS port gets a 400 that says to use https', async () => {
    const res = await request(`http://127.0.0.1:${port(443)}/`, { headers: { host: 'files.example.com' } });
    assert.equal(res.statusCode, 400);
    assert.match(await res.body.text(), /speaks HTTPS/);
  });

  test('a renewed certificate is served without a restart; a broken one leaves the last good in force', async () => {
    const renewed = await issueCertificate(serverCa, { commonName: 'shop renewed', dnsNames: ['shop.example.com'] });
    writeCredential('shop-cert', { 'tls.crt': renewed.certPem, 'tls.key': renewed.keyPem });
    const deadline = Date.now() + 5000;
    while ((await presented(443, 'shop.example.com')) !== fingerprint(renewed)) {
      assert.ok(Date.now() < deadline, 'the renewed certificate was not served within 5 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal((await https(443, { servername: 'shop.example.com', ca: serverCa.certPem })).status, 200);

    writeCredential('shop-cert', { 'tls.key': 'garbage\n' });
    const keyFile = join(dir, 'credentials', 'shop-cert', 'tls.key');
    // Files are checked when connections arrive (at most once a second), so keep connecting.
    const badKeyLogged = () => logs.some((l) => l.level === 'error' && l.msg.includes(`${keyFile} is not a PEM private key`));
    const until5s = Date.now() + 5000;
    while (!badKeyLogged()) {
      assert.ok(Date.now() < until5s, 'no error naming the bad key file within 5 s');
      assert.equal(await presented(443, 'shop.example.com'), fingerprint(renewed), 'the last good certificate stays');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal((await https(443, { servername: 'shop.example.com', ca: serverCa.certPem })).status, 200);
    writeCredential('shop-cert', { 'tls.key': renewed.keyPem });
  });

  test('a server whose certificate was never readable refuses TLS connections and says why', async () => {
    await push([{ port: 443, protocol: 'HTTPS', hosts: ['*'], routeConfig: 'http.443', tls: { mode: 'SIMPLE', credentialName: 'missing' } }]);
    const res = await https(443, { servername: 'shop.example.com', ca: serverCa.certPem });
    assert.equal(res.status, undefined, JSON.stringify(res));
    const refusal = logs.find((l) => l.level === 'warn' && l.msg.startsWith('TLS connection refused'));
    assert.ok(refusal, 'a log line for the refused connection');
    assert.match(String(refusal.reason), /missing\/tls\.crt cannot be read: ENOENT/);
    assert.ok(logs.some((l) => l.level === 'error' && l.msg.includes(join(dir, 'credentials', 'missing', 'tls.crt'))), 'the missing file is named in an error');
  });
});
