// The proxy engine end to end in one process: real listeners, real upstream servers, config
// pushed by a scripted discovery server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { ProxyAgent, request } from 'undici';
import { clusterName, type ProxySnapshotInput } from '@skiff/api';
import { startProxy, type RunningProxy } from './proxy.js';
import { clientProxyOptions, ScriptedDiscoveryServer, startUpstream, until } from './test-support.js';

const fqdn = 'reviews.default.svc.cluster.local';
const v1 = clusterName('outbound', 9080, 'v1', fqdn);
const v2 = clusterName('outbound', 9080, 'v2', fqdn);

function snapshot(version: string, ports: { v1: number; v2: number }, weights: [number, number]): ProxySnapshotInput {
  return {
    version,
    routeConfigs: [
      {
        name: '9080',
        virtualHosts: [
          {
            name: `${fqdn}:9080`,
            domains: ['reviews', 'reviews:9080', fqdn, `${fqdn}:9080`],
            routes: [
              { name: 'jason', matches: [{ headers: [{ name: 'end-user', match: { exact: 'jason' } }] }], action: { kind: 'route', clusters: [{ cluster: v2, weight: 100 }] } },
              { name: 'split', matches: [], action: { kind: 'route', clusters: [{ cluster: v1, weight: weights[0] }, { cluster: v2, weight: weights[1] }] } },
            ],
          },
          { name: 'empty', domains: ['empty:9080'], routes: [{ name: 'to-nowhere', action: { kind: 'route', clusters: [{ cluster: 'outbound|9080||empty', weight: 100 }] } }] },
        ],
      },
    ],
    clusters: [
      { name: v1, service: fqdn, port: 9080, subset: 'v1', endpoints: [{ address: '127.0.0.1', port: ports.v1, workload: 'reviews-v1', labels: { version: 'v1' } }] },
      { name: v2, service: fqdn, port: 9080, subset: 'v2', endpoints: [{ address: '127.0.0.1', port: ports.v2, workload: 'reviews-v2', labels: { version: 'v2' } }] },
      { name: 'outbound|9080||empty', service: 'empty', port: 9080, endpoints: [] },
    ],
  };
}

function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let out = '';
    socket.on('data', (d: Buffer) => (out += d.toString()));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
  });
}

describe('proxy engine', () => {
  let discovery: ScriptedDiscoveryServer;
  let proxy: RunningProxy;
  let upstreamV1: Awaited<ReturnType<typeof startUpstream>>;
  let upstreamV2: Awaited<ReturnType<typeof startUpstream>>;
  let app: Awaited<ReturnType<typeof startUpstream>>;
  let viaProxy: ProxyAgent;

  before(async () => {
    discovery = new ScriptedDiscoveryServer();
    const port = await discovery.listen();
    upstreamV1 = await startUpstream('v1', (req) => (req.url === '/slow' ? { delayMs: 400 } : undefined));
    upstreamV2 = await startUpstream('v2');
    app = await startUpstream('app');
    discovery.push(snapshot('s1', { v1: upstreamV1.port, v2: upstreamV2.port }, [100, 0]));
    proxy = await startProxy(clientProxyOptions(port, { node: { ...clientProxyOptions(port).node, servicePort: 9080 }, inboundPort: 0, appPort: app.port }));
    await until(() => proxy.holder.current?.version === 's1', 'first snapshot');
    viaProxy = new ProxyAgent({ uri: `http://127.0.0.1:${proxy.ports['outbound']}`, proxyTunnel: false });
  });

  after(async () => {
    await viaProxy?.close();
    await proxy?.close();
    discovery?.close();
    for (const u of [upstreamV1, upstreamV2, app]) u?.server.close();
  });

  const call = async (url: string, headers: Record<string, string> = {}) => {
    const res = await request(url, { dispatcher: viaProxy, headers });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  };

  test('routes an absolute-form request by host and strips hop-by-hop headers', async () => {
    // A raw socket, because HTTP clients will not send a Connection header naming other headers.
    const raw = await rawRequest(proxy.ports['outbound'] ?? 0, 'GET http://reviews:9080/reviews/1?x=1 HTTP/1.1\r\nHost: reviews:9080\r\nConnection: close, x-private\r\nx-private: a\r\n\r\n');
    assert.match(raw, /^HTTP\/1\.1 200/);
    assert.match(raw, /\r\nv1 GET \/reviews\/1\?x=1\r\n/);
    const seen = upstreamV1.received.at(-1);
    assert.equal(seen?.headers.host, 'reviews:9080', 'Host is the service the app asked for');
    assert.equal(seen?.headers['x-private'], undefined);
    assert.match(String(seen?.headers['x-request-id']), /^[0-9a-f-]{36}$/, 'a request id is added');
  });

  test('origin-form with a Host header works too', async () => {
    const res = await request(`http://127.0.0.1:${proxy.ports['outbound']}/r`, { headers: { host: 'reviews.default.svc.cluster.local:9080', 'x-request-id': 'keep-me' } });
    assert.equal(await res.body.text(), 'v1 GET /r');
    assert.equal(upstreamV1.received.at(-1)?.headers['x-request-id'], 'keep-me');
  });

  test('a header match picks its route', async () => {
    assert.equal((await call('http://reviews:9080/', { 'end-user': 'jason' })).text, 'v2 GET /');
  });

  test('request bodies are streamed to the upstream', async () => {
    const res = await request('http://reviews:9080/post', { dispatcher: viaProxy, method: 'POST', body: 'x'.repeat(100_000) });
    await res.body.text();
    assert.equal(upstreamV1.received.at(-1)?.body.length, 100_000);
  });

  test('a cluster without endpoints answers 503 like Envoy; an unknown port of a known host 404s... and unknown hosts pass through', async () => {
    const empty = await call('http://empty:9080/');
    assert.equal(empty.status, 503);
    assert.match(empty.text, /no healthy upstream/);
    // Not a mesh host: passthrough to where the app asked (here: the v2 upstream's real address).
    const through = await call(`http://127.0.0.1:${upstreamV2.port}/direct`);
    assert.equal(through.text, 'v2 GET /direct');
  });

  test('a request whose Host is the proxy itself is refused with 508, not looped until the pool is gone', async () => {
    // The bench once sent wrk's own "Host: 127.0.0.1:<outbound>": each pass took another pooled
    // connection, and after 128 the proxy stalled for every caller.
    const own = `127.0.0.1:${proxy.ports['outbound']}`;
    const results = await Promise.all(Array.from({ length: 20 }, () => request(`http://${own}/self`).then(async (r) => ({ status: r.statusCode, text: await r.body.text() }))));
    for (const r of results) {
      assert.equal(r.status, 508);
      assert.match(r.text, /forwarding loop.*own address/);
    }
    assert.equal((await call('http://reviews:9080/still-fine')).status, 200);
    const pools = (await (await request(`http://127.0.0.1:${proxy.ports['admin']}/pools`)).body.json()) as { upstream: Record<string, { connected: number; queued: number }> };
    const selfPool = pools.upstream[`http://${own}`];
    assert.ok(selfPool, `a passthrough pool to ${own} in ${JSON.stringify(Object.keys(pools.upstream))}`);
    assert.equal(selfPool.queued, 0);
  });

  test('the admin port reports the process memory, as Envoy\'s /memory does', async () => {
    const memory = (await (await request(`http://127.0.0.1:${proxy.ports['admin']}/memory`)).body.json()) as Record<string, number>;
    assert.ok((memory['rss'] ?? 0) > (memory['heapUsed'] ?? Infinity), JSON.stringify(memory));
    assert.ok((memory['heapUsed'] ?? 0) > 1024 * 1024);
  });

  test('a push swaps the config; a request in flight finishes on the snapshot it started with', async () => {
    const slow = call('http://reviews:9080/slow');
    await until(() => upstreamV1.received.some((r) => r.url === '/slow'), 'slow request to arrive');
    discovery.push(snapshot('s2', { v1: upstreamV1.port, v2: upstreamV2.port }, [0, 100]));
    await until(() => proxy.holder.current?.version === 's2', 'second snapshot');
    assert.equal((await slow).text, 'v1 GET /slow');
    assert.equal((await call('http://reviews:9080/after')).text, 'v2 GET /after');
    await until(() => discovery.requests.some((r) => r.versionInfo === 's2' && r.responseNonce !== ''), 'ACK of s2');
  });

  test('the inbound listener hands requests to the local app', async () => {
    const res = await request(`http://127.0.0.1:${proxy.ports['inbound']}/hello`, { headers: { host: 'client:9080' } });
    assert.equal(await res.body.text(), 'app GET /hello');
  });

  test('the admin port reports readiness and the config in force', async () => {
    const ready = await request(`http://127.0.0.1:${proxy.ports['admin']}/ready`);
    assert.equal(ready.statusCode, 200);
    await ready.body.text();
    const dump = (await (await request(`http://127.0.0.1:${proxy.ports['admin']}/config_dump`)).body.json()) as { snapshot: { version: string }; xds: { connected: boolean }; listeners: Record<string, number>; app: { host: string; port: number } };
    assert.equal(dump.snapshot.version, proxy.holder.current?.version);
    assert.equal(dump.xds.connected, true);
    // What `skiff scenario` reads to call through this sidecar or reach its app's test hooks.
    assert.equal(dump.listeners['outbound'], proxy.ports['outbound']);
    assert.deepEqual(dump.app, { host: '127.0.0.1', port: app.port });
  });
});
