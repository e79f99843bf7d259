// Egress, as Istio's egress tasks do it, each proxy a process of its own. The mesh runs with
// outboundTrafficPolicy REGISTRY_ONLY. "External" hosts are stand-ins on loopback (named
// *.external-standin.test, reached through ServiceEntries with STATIC endpoints): an HTTPS server
// with a certificate from its own CA, and a plain HTTP server. An app calls them through its
// sidecar as an explicit proxy: plain `http://` to the HTTPS stand-in gets TLS originated by the
// sidecar (DestinationRule portLevelSettings tls SIMPLE, Istio's egress TLS origination task);
// `https://` goes through a CONNECT tunnel with the app's own TLS; a host no ServiceEntry names
// gets 502 from the BlackHoleCluster, over HTTP and over CONNECT.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { freePorts } from '@skiff/launcher';
import { startProcessMesh, waitFor, type ProcessMesh } from '@skiff/testing';
import { writeServerCredential } from './gateway-tls-fixtures.js';

const API = 'api.external-standin.test';
const PLAIN = 'plain.external-standin.test';

function config(httpsPort: number, plainPort: number, caFile: string): string {
  return `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api-external-standin}
spec:
  hosts: [${API}]
  ports:
  - {number: 80, name: http-port, protocol: HTTP, targetPort: ${httpsPort}}
  - {number: 443, name: https-port, protocol: HTTPS, targetPort: ${httpsPort}}
  resolution: STATIC
  location: MESH_EXTERNAL
  endpoints: [{address: 127.0.0.1}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api-external-standin}
spec:
  host: ${API}
  trafficPolicy:
    portLevelSettings:
    - port: {number: 80}
      tls:
        mode: SIMPLE # initiates HTTPS when the app calls http://${API}
        caCertificates: ${caFile}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: plain-external-standin}
spec:
  hosts: [${PLAIN}]
  ports: [{number: 80, name: http, protocol: HTTP, targetPort: ${plainPort}}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1}]
`;
}

/** A plain-HTTP call through the sidecar as the app's HTTP proxy (absolute-form, as HTTP_PROXY clients send). */
async function viaProxy(outbound: number, url: string): Promise<{ status: number; body: string }> {
  const req = request({ host: '127.0.0.1', port: outbound, path: url, headers: { host: new URL(url).host } });
  req.end();
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  let body = '';
  res.setEncoding('utf8').on('data', (c: string) => (body += c));
  await once(res, 'end');
  return { status: res.statusCode ?? 0, body };
}

/** A CONNECT through the sidecar; the status line, and the socket when it was 200. */
async function connectVia(outbound: number, authority: string): Promise<{ status: string; socket: Socket }> {
  const socket = netConnect(outbound, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
  let got = Buffer.alloc(0);
  while (got.indexOf('\r\n\r\n') < 0) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    got = Buffer.concat([got, chunk]);
  }
  socket.pause();
  return { status: got.subarray(0, got.indexOf('\r\n')).toString(), socket };
}

describe('egress: ServiceEntry, REGISTRY_ONLY and TLS origination, with stand-in external hosts', { timeout: 120_000 }, () => {
  let mesh: ProcessMesh;
  let outbound: number;
  const servers: Server[] = [];
  const seen: Array<{ servername: string | false | null; path: string }> = [];
  const credentials = mkdtempSync(join(tmpdir(), 'skiff-egress-'));
  let ca: string;

  before(async () => {
    const [httpsPort, plainPort, callerApp] = (await freePorts(3)) as [number, number, number];
    ca = await writeServerCredential(credentials, 'standin', [API]);
    const caFile = join(credentials, 'standin-ca.pem');
    writeFileSync(caFile, ca);
    const https = createHttpsServer({ cert: readFileSync(join(credentials, 'standin', 'tls.crt')), key: readFileSync(join(credentials, 'standin', 'tls.key')) }, (req, res) => {
      seen.push({ servername: (req.socket as TLSSocket).servername, path: req.url ?? '' });
      res.end(`external-standin over TLS: ${req.url}\n`);
    });
    const plain = createHttpServer((req, res) => res.end(`plain external-standin: ${req.url}\n`));
    const caller = createHttpServer((_req, res) => res.end('caller\n'));
    for (const [server, port] of [[https, httpsPort], [plain, plainPort], [caller, callerApp]] as const) {
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
      servers.push(server);
    }
    mesh = await startProcessMesh({
      config: config(httpsPort, plainPort, caFile),
      controlPlaneArgs: ['--outbound-traffic-policy', 'REGISTRY_ONLY'],
      workloads: [{ name: 'caller', version: 'v1', portName: 'http', appPort: callerApp }],
    });
    outbound = mesh.proxies['caller-proxy']?.outbound as number;
    await waitFor('the ServiceEntries to reach the sidecar', async () => (await viaProxy(outbound, `http://${PLAIN}/ready`)).status === 200, 30_000);
  });

  after(async () => {
    await mesh?.stop();
    for (const server of servers) server.close();
    rmSync(credentials, { recursive: true, force: true });
  });

  test('http:// to a ServiceEntry host with DestinationRule tls SIMPLE: the sidecar originates TLS, with the host as SNI, verified against caCertificates', async () => {
    seen.length = 0;
    const res = await viaProxy(outbound, `http://${API}/headers`);
    assert.deepEqual(res, { status: 200, body: 'external-standin over TLS: /headers\n' });
    assert.deepEqual(seen, [{ servername: API, path: '/headers' }]);
  });

  test('https:// through a CONNECT to the ServiceEntry host: the app\'s own TLS, end to end', async () => {
    const { status, socket } = await connectVia(outbound, `${API}:443`);
    assert.equal(status, 'HTTP/1.1 200 OK');
    const tls = tlsConnect({ socket, servername: API, ca });
    await once(tls, 'secureConnect');
    tls.end(`GET /tunnelled HTTP/1.1\r\nHost: ${API}\r\nConnection: close\r\n\r\n`);
    let text = '';
    tls.setEncoding('utf8').on('data', (c: string) => (text += c));
    await once(tls, 'close');
    assert.match(text, /^HTTP\/1.1 200 OK\r\n[\s\S]*external-standin over TLS: \/tunnelled\n$/);
  });

  test('a plain HTTP ServiceEntry host is let through', async () => {
    assert.deepEqual(await viaProxy(outbound, `http://${PLAIN}/x`), { status: 200, body: 'plain external-standin: /x\n' });
  });

  test('REGISTRY_ONLY: a host no ServiceEntry names gets 502 over HTTP and over CONNECT, counted as BlackHoleCluster', async () => {
    const http = await viaProxy(outbound, 'http://unknown.external-standin.test/');
    assert.equal(http.status, 502);
    assert.match(http.body, /not a service in this mesh's registry, and outboundTrafficPolicy is REGISTRY_ONLY: add a ServiceEntry/);
    const { status, socket } = await connectVia(outbound, 'unknown.external-standin.test:443');
    socket.destroy();
    assert.match(status, /^HTTP\/1.1 502/);
    const metrics = await (await fetch(mesh.proxies['caller-proxy']?.metrics as string)).text();
    assert.match(metrics, /istio_requests_total\{reporter="source"[^}]*destination_service="BlackHoleCluster"[^}]*response_code="502"[^}]*\} 2/);
  });
});
