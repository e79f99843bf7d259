// Istio's "Ingress Gateway without TLS Termination" task (SNI passthrough) with its own YAML,
// each proxy a process of its own: a Gateway server on 443 with tls.mode PASSTHROUGH, and a
// VirtualService whose tls route sends nginx.example.com to my-nginx. A second host goes to a
// second backend. The gateway reads the ClientHello's server name and carries the client's TLS,
// inside the mesh's mutual TLS, to the backend's sidecar, which hands it to the backend: the client
// sees the backend's own certificate. The backends are real HTTPS servers with certificates of
// their own, behind sidecars whose ports are named https.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { freePorts } from '@skiff/launcher';
import { startProcessMesh, waitFor, type ProcessMesh } from '@skiff/testing';
import { writeServerCredential } from './gateway-tls-fixtures.js';

const config = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: mygateway
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 443
      name: https
      protocol: HTTPS
    tls:
      mode: PASSTHROUGH
    hosts:
    - nginx.example.com
    - shop.example.com
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: nginx
spec:
  hosts:
  - nginx.example.com
  gateways:
  - mygateway
  tls:
  - match:
    - port: 443
      sniHosts:
      - nginx.example.com
    route:
    - destination:
        host: my-nginx
        port:
          number: 443
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: shop
spec:
  hosts:
  - shop.example.com
  gateways:
  - mygateway
  tls:
  - match:
    - port: 443
      sniHosts:
      - shop.example.com
    route:
    - destination:
        host: my-shop
        port:
          number: 443
`;

describe('SNI passthrough at the ingress gateway, over mutual TLS inside the mesh', { timeout: 120_000 }, () => {
  let mesh: ProcessMesh;
  let gateway: number;
  const servers: Server[] = [];
  const cas: Record<string, string> = {};
  const credentials = mkdtempSync(join(tmpdir(), 'skiff-sni-backends-'));

  /** A TLS client as `curl --resolve nginx.example.com:443:<gateway> https://nginx.example.com` is. */
  async function get(servername: string): Promise<{ body: string; subject: string }> {
    const socket = connect({ host: '127.0.0.1', port: gateway, servername, ca: cas[servername] });
    await once(socket, 'secureConnect');
    const subject = String(socket.getPeerCertificate().subject?.CN);
    socket.end(`GET / HTTP/1.1\r\nHost: ${servername}\r\nConnection: close\r\n\r\n`);
    let text = '';
    socket.setEncoding('utf8').on('data', (c: string) => (text += c));
    await once(socket, 'close');
    return { body: text.slice(text.indexOf('\r\n\r\n') + 4), subject };
  }

  before(async () => {
    const ports = (await freePorts(2)) as [number, number];
    for (const [i, host] of ['nginx.example.com', 'shop.example.com'].entries()) {
      cas[host] = await writeServerCredential(credentials, host, [host]);
      const server = createServer({ cert: readFileSync(join(credentials, host, 'tls.crt')), key: readFileSync(join(credentials, host, 'tls.key')) }, (_req, res) => res.end(`${host} backend\n`));
      server.listen(ports[i], '127.0.0.1');
      await once(server, 'listening');
      servers.push(server);
    }
    mesh = await startProcessMesh({
      config,
      gateway: { serverPorts: [443] },
      workloads: [
        { name: 'my-nginx', version: 'v1', portName: 'https', servicePort: 443, appPort: ports[0] },
        { name: 'my-shop', version: 'v1', portName: 'https', servicePort: 443, appPort: ports[1] },
      ],
    });
    gateway = mesh.gatewayPorts[443] as number;
    await waitFor('both backends to answer through the gateway', async () => {
      try {
        return (await get('nginx.example.com')).body === 'nginx.example.com backend\n' && (await get('shop.example.com')).body === 'shop.example.com backend\n';
      } catch {
        return false;
      }
    }, 30_000);
  });

  after(async () => {
    await mesh?.stop();
    for (const server of servers) server.close();
    rmSync(credentials, { recursive: true, force: true });
  });

  test("each server name reaches its own backend, and the client verifies that backend's own certificate", async () => {
    for (let i = 0; i < 10; i++) {
      assert.deepEqual(await get('nginx.example.com'), { body: 'nginx.example.com backend\n', subject: 'nginx.example.com' });
      assert.deepEqual(await get('shop.example.com'), { body: 'shop.example.com backend\n', subject: 'shop.example.com' });
    }
  });

  test('between the proxies the connection is mutual TLS, and counted as TCP on both sides', async () => {
    const gatewayMetrics = await (await fetch(mesh.proxies['gateway']?.metrics as string)).text();
    assert.match(gatewayMetrics, /istio_tcp_connections_closed_total\{[^}]*destination_workload="my-nginx"[^}]*connection_security_policy="mutual_tls"[^}]*\} [1-9]/);
    const nginxMetrics = await (await fetch(mesh.proxies['my-nginx-proxy']?.metrics as string)).text();
    assert.match(nginxMetrics, /istio_tcp_received_bytes_total\{reporter="destination"[^}]*source_principal="spiffe:\/\/cluster.local\/ns\/istio-system\/sa\/istio-ingressgateway-service-account"[^}]*connection_security_policy="mutual_tls"[^}]*\} [1-9]/);
  });

  test('a server name the Gateway does not admit is closed without reaching a backend', async () => {
    const socket = connect({ host: '127.0.0.1', port: gateway, servername: 'other.example.com', rejectUnauthorized: false });
    const [error] = (await once(socket, 'error')) as [NodeJS.ErrnoException];
    assert.match(String(error.code ?? error.message), /ECONNRESET|socket disconnected/i);
  });
});
