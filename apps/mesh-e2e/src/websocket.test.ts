// A WebSocket session through the whole mesh path, each proxy a process of its own as `skiff up`
// runs them: client -> gateway -> relay's sidecar (inbound) -> relay app, which opens its own
// WebSocket to echo through its sidecar (outbound) -> mutual TLS -> echo's sidecar (inbound) ->
// echo app. Messages go both ways, the session closes cleanly from either end, each proxy counts
// it as one request answered 101, and no pooled connection is left in use afterwards.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';
import { freePorts } from '@skiff/launcher';
import { get, getJson, startProcessMesh, waitFor, type ProcessMesh } from '@skiff/testing';

const config = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: chat-gateway}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: relay}
spec:
  hosts: ["*"]
  gateways: [chat-gateway]
  http:
  - route:
    - destination: {host: relay, port: {number: 9080}}
`;

const listen = (server: Server, port: number) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));

describe('WebSocket through gateway, two sidecars and mTLS', { timeout: 120_000 }, () => {
  let mesh: ProcessMesh;
  let echo: Server;
  let relay: Server;
  let gatewayUrl: string;
  const admin: Record<string, string> = {};
  const metrics: Record<string, string> = {};

  before(async () => {
    const [echoApp, relayApp] = (await freePorts(2)) as [number, number];
    // The relay app dials its sidecar's outbound port, known once the mesh is planned: it is
    // read when a session starts, after the mesh is up.
    let relayOutbound = 0;

    // echo: greets, echoes, and closes itself when asked to.
    echo = createServer((_req, res) => res.writeHead(200).end('echo\n'));
    new WebSocketServer({ server: echo }).on('connection', (ws) => {
      ws.send('echo says hello');
      ws.on('message', (data, binary) => {
        if (!binary && data.toString() === 'close-please') return ws.close(1000, 'echo is done');
        ws.send(data, { binary });
      });
    });
    await listen(echo, echoApp);
    // relay: each session it serves is relayed to echo over a WebSocket of its own, through its
    // sidecar's outbound listener (the app addresses the service; the sidecar routes by Host).
    relay = createServer((_req, res) => res.writeHead(200).end('relay\n'));
    new WebSocketServer({ server: relay }).on('connection', (client) => {
      const upstream = new WebSocket(`ws://127.0.0.1:${relayOutbound}/chat`, { headers: { host: 'echo:9080' } });
      const queued: Array<[WebSocket.RawData, boolean]> = [];
      client.on('message', (data, binary) => (upstream.readyState === WebSocket.OPEN ? upstream.send(data, { binary }) : queued.push([data, binary])));
      upstream.on('open', () => queued.splice(0).forEach(([data, binary]) => upstream.send(data, { binary })));
      upstream.on('message', (data, binary) => client.send(data, { binary }));
      // A close on either side is passed on with its code and reason (1005 "no status" and 1006
      // "abnormal" are only reported, never sent: those become a close without a code).
      const passOn = (to: WebSocket) => (code: number, reason: Buffer) => (code === 1005 || code === 1006 ? to.close() : to.close(code, reason));
      client.on('close', passOn(upstream));
      upstream.on('close', passOn(client));
      upstream.on('error', () => client.terminate());
    });
    await listen(relay, relayApp);

    mesh = await startProcessMesh({
      config,
      gateway: true,
      workloads: [
        { name: 'echo', appPort: echoApp },
        { name: 'relay', appPort: relayApp },
      ],
    });
    relayOutbound = mesh.proxies['relay-proxy']?.outbound as number;
    gatewayUrl = `ws://127.0.0.1:${mesh.gatewayPort}`;
    for (const [name, endpoints] of Object.entries(mesh.proxies)) {
      admin[name] = endpoints.admin;
      metrics[name] = endpoints.metrics;
    }
    // Every hop routes before the sessions start (the mesh's config reaches proxies in turn).
    await waitFor('a session to reach echo through relay', async () => {
      const session = await open();
      session.ws.close();
      await once(session.ws, 'close');
      return session.messages[0] === 'echo says hello';
    }, 30_000);
  });

  after(async () => {
    await mesh?.stop();
    echo?.close();
    relay?.close();
  });

  async function open(): Promise<{ ws: WebSocket; messages: string[] }> {
    const ws = new WebSocket(`${gatewayUrl}/chat`, { headers: { host: 'chat.example' }, handshakeTimeout: 5000 });
    const messages: string[] = [];
    ws.on('message', (data, binary) => messages.push(binary ? `<${(data as Buffer).length} bytes>` : data.toString()));
    await once(ws, 'open');
    await waitFor('the greeting from echo', async () => messages.length > 0, 5000);
    return { ws, messages };
  }

  async function poolsIdle(): Promise<void> {
    for (const [name, url] of Object.entries(admin)) {
      await waitFor(`${name}: no pooled connection left in use`, async () => {
        const { body: pools } = await getJson<{ upstream: Record<string, { running: number; queued: number }>; app: Record<string, { busy: number; waiting: number }> }>(`${url}/pools`);
        const idle = Object.values(pools.upstream).every((p) => p.running === 0 && p.queued === 0) && Object.values(pools.app ?? {}).every((p) => p.busy === 0 && p.waiting === 0);
        if (!idle) throw new Error(`pools: ${JSON.stringify(pools)}`);
        return true;
      }, 10_000);
    }
  }

  /** istio_requests_total with response_code="101", summed over a proxy's series. */
  async function upgradesCounted(name: string): Promise<number> {
    const text = (await get(metrics[name] as string)).text;
    return text
      .split('\n')
      .filter((line) => line.startsWith('istio_requests_total{') && line.includes('response_code="101"'))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  }

  test('messages go both ways, text and a 256 KiB binary frame, and the client closes cleanly', async () => {
    const { ws, messages } = await open();
    ws.send('ping');
    ws.send(Buffer.alloc(256 * 1024, 1), { binary: true });
    ws.send('pong?');
    await waitFor('three echoes', async () => messages.length === 4, 10_000);
    assert.deepEqual(messages, ['echo says hello', 'ping', '<262144 bytes>', 'pong?']);
    ws.close(1000, 'client is done');
    const [code] = (await once(ws, 'close')) as [number, Buffer];
    assert.equal(code, 1000);
    await poolsIdle();
  });

  test('echo, two sidecars away, closes the session and the client hears its code and reason', async () => {
    const { ws } = await open();
    ws.send('close-please');
    const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
    assert.equal(code, 1000);
    assert.equal(reason.toString(), 'echo is done');
    await poolsIdle();
  });

  test("each proxy counts every finished session as a request answered 101, with mTLS on the sidecars' hop", async () => {
    // The warm-up's session and the two tests' sessions, at least: every one of them has ended.
    for (const name of Object.keys(metrics)) {
      await waitFor(`${name} to count the sessions`, async () => (await upgradesCounted(name)) >= 3, 10_000);
    }
    const echoSide = (await get(metrics['echo-proxy'] as string)).text;
    assert.ok(
      echoSide.split('\n').some((l) => l.startsWith('istio_requests_total{') && l.includes('response_code="101"') && l.includes('connection_security_policy="mutual_tls"')),
      'the echo sidecar saw the sessions arrive over mutual TLS',
    );
  });
});
