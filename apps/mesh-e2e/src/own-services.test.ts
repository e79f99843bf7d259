// Services the repo does not ship, in the mesh: a mesh started as `skiff up --no-samples` starts
// it (control plane and gateway only), and three processes of a user's own, written here, joined
// with `skiff run`: "shop" v1 and v2 (HTTP) and "stock" (gRPC), plus "web", which runs shop's
// code under another identity. Routing by header, mutual TLS, authorization on the caller's
// identity, gRPC through grpc-js's own proxy mode, metrics, the dashboard's graph and
// `skiff ls` work for them as for the samples; and a process that leaves takes its endpoint
// and its token with it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { freePorts } from '@skiff/launcher';
import { get, getJson, repoRoot, startTestMesh, waitFor, type TestMesh } from '@skiff/testing';

const config = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: shop-gateway}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop}
spec:
  hosts: ["*"]
  gateways: [shop-gateway]
  http:
  - match: [{uri: {prefix: /web/}}]
    rewrite: {uri: /}
    route: [{destination: {host: web}}]
  - match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: shop, subset: v2}}]
  - route: [{destination: {host: shop, subset: v1}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: shop}
spec:
  host: shop
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: stock-callers}
spec:
  selector: {matchLabels: {app: stock}}
  action: ALLOW
  rules:
  - from: [{source: {principals: [cluster.local/ns/default/sa/shop]}}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: shop-admin}
spec:
  selector: {matchLabels: {app: shop}}
  action: DENY
  rules:
  - to: [{operation: {paths: [/admin*]}}]
`;

// grpc-js from the repo's node_modules, wherever the script is written.
const grpcJs = JSON.stringify(join(repoRoot, 'package.json'));
const GRPC_PREAMBLE = `import { createRequire } from 'node:module';
const grpc = createRequire(${grpcJs})('@grpc/grpc-js');
const json = { serialize: (v) => Buffer.from(JSON.stringify(v)), deserialize: (b) => JSON.parse(b.toString()) };
const STOCK = { check: { path: '/shop.Stock/Check', requestStream: false, responseStream: false, requestSerialize: json.serialize, requestDeserialize: json.deserialize, responseSerialize: json.serialize, responseDeserialize: json.deserialize } };
`;

// An HTTP service that names itself and, on /stock, asks stock over gRPC. It knows nothing of the
// mesh: grpc-js reads grpc_proxy (set by skiff run) and tunnels through its sidecar with CONNECT.
const SHOP = `${GRPC_PREAMBLE}
import { createServer } from 'node:http';
const Stock = grpc.makeGenericClientConstructor(STOCK, 'Stock');
const stock = new Stock('stock:7300', grpc.credentials.createInsecure());
createServer((req, res) => {
  if (req.url === '/stock') {
    stock.check({ item: 'boat' }, { deadline: Date.now() + 5000 }, (err, reply) => {
      res.writeHead(err ? 502 : 200);
      res.end(err ? 'stock: ' + grpc.status[err.code] : 'in stock: ' + reply.count + ' (' + reply.from + ')');
    });
    return;
  }
  res.end(process.env.SERVICE_NAME + ' ' + process.env.SERVICE_VERSION);
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

const STOCK_SERVER = `${GRPC_PREAMBLE}
const server = new grpc.Server();
server.addService(STOCK, { check: (call, done) => done(null, { count: 3, from: 'stock ' + process.env.SERVICE_VERSION }) });
server.bindAsync('127.0.0.1:' + process.env.PORT, grpc.ServerCredentials.createInsecure(), (err) => { if (err) throw err; });
`;

interface Joined {
  child: ChildProcess;
  output: string[];
  /** The sidecar's admin URL, from what skiff run printed. */
  admin: string;
  exited: Promise<number | null>;
}

/** Every `skiff run` started, joined or not: each is stopped at the end, even when another failed to join. */
const started = new Set<ChildProcess>();

/** `skiff run ...` as a user types it, until it says the workload is in the mesh. */
async function skiffRun(stateDir: string, cwd: string, flags: string[], command: string[]): Promise<Joined> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'skiff.mjs'), 'run', '--state-dir', stateDir, '--cwd', cwd, ...flags, '--', ...command], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(child);
  const output: string[] = [];
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const joined = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      const admin = /admin (http:\/\/127\.0\.0\.1:\d+)\/config_dump/.exec(output.join(''));
      if (admin) resolve(admin[1] as string);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => reject(new Error(`skiff run ${flags.join(' ')} exited with ${code} before joining:\n${output.join('')}`)));
  });
  return { child, output, admin: await joined, exited };
}

describe("a user's own services, joined with skiff run to a mesh without samples", { timeout: 240_000 }, () => {
  let mesh: TestMesh;
  let dir: string;
  const joined: Record<string, Joined> = {};

  before(async () => {
    mesh = await startTestMesh({ noSamples: true, config: { 'mesh.yaml': config } });
    dir = mkdtempSync(join(tmpdir(), 'skiff-own-services-'));
    writeFileSync(join(dir, 'shop.mjs'), SHOP);
    writeFileSync(join(dir, 'stock.mjs'), STOCK_SERVER);
    const [shop1, shop2, web, stock] = (await freePorts(4)) as [number, number, number, number];
    const stateDir = (mesh.state as { dir: string }).dir;
    const run = (flags: string[], script: string) => skiffRun(stateDir, dir, flags, [process.execPath, script]);
    const runs = await Promise.all([
      run(['--name', 'shop-v1', '--service', 'shop', '--port', '7000', '--app-port', String(shop1), '--port-name', 'http'], 'shop.mjs'),
      run(['--name', 'shop-v2', '--service', 'shop', '--version', 'v2', '--port', '7000', '--app-port', String(shop2), '--port-name', 'http'], 'shop.mjs'),
      run(['--name', 'web', '--service', 'web', '--port', '7100', '--app-port', String(web)], 'shop.mjs'),
      run(['--name', 'stock', '--service', 'stock', '--port', '7300', '--app-port', String(stock), '--port-name', 'grpc'], 'stock.mjs'),
    ]);
    for (const j of runs) joined[/as (\S+)\.default/.exec(j.output.join(''))?.[1] as string] = j;
    // Every proxy has every service's endpoints before the first request is judged.
    await waitFor('the four joined workloads in the registry', async () => {
      const ids = (await getJson<Array<{ id: string }>>(`${mesh.controlPlane}/debug/registryz`)).body.map((w) => w.id);
      return ['shop-v1', 'shop-v2', 'web', 'stock'].every((n) => ids.includes(`${n}.default`));
    }, 15_000);
    await waitFor("the gateway's route to shop v2", async () => (await get(`${mesh.gateway}/`, { 'end-user': 'jason' })).status === 200, 15_000);
  });

  after(async () => {
    const running = [...started].filter((c) => c.exitCode === null && c.signalCode === null);
    await Promise.all(running.map((c) => new Promise((resolve) => (c.once('exit', resolve), c.kill('SIGINT')))));
    await mesh?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("routing by header picks the user's own versions, as for the samples", async () => {
    assert.equal((await get(`${mesh.gateway}/`)).text, 'shop v1');
    assert.equal((await get(`${mesh.gateway}/`, { 'end-user': 'jason' })).text, 'shop v2');
    assert.equal((await get(`${mesh.gateway}/web/`)).text, 'web v1');
  });

  test("gRPC from shop to stock through grpc-js's proxy mode and mutual TLS; the policy lets shop's identity in and keeps web's out", async () => {
    const allowed = await get(`${mesh.gateway}/stock`);
    assert.equal(allowed.status, 200, allowed.text);
    assert.equal(allowed.text, 'in stock: 3 (stock v1)');
    const refused = await get(`${mesh.gateway}/web/stock`);
    assert.equal(refused.status, 502, refused.text);
    assert.equal(refused.text, 'stock: PERMISSION_DENIED');
  });

  test('a DENY policy on a path of shop answers 403 at its sidecar', async () => {
    assert.equal((await get(`${mesh.gateway}/admin/users`)).status, 403);
    assert.equal((await get(`${mesh.gateway}/adminish`)).status, 403, 'Istio\'s "/admin*" is a prefix');
  });

  test("stock's sidecar reports gRPC from shop-v1 over mutual TLS in Istio's metrics", async () => {
    await get(`${mesh.gateway}/stock`);
    const text = (await get(`${joined['stock']?.admin}/stats/prometheus`)).text;
    const line = text.split('\n').find((l) => l.startsWith('istio_requests_total{') && l.includes('source_workload="shop-v1"'));
    assert.ok(line, `no istio_requests_total from shop-v1 in:\n${text.split('\n').filter((l) => l.startsWith('istio_requests_total')).join('\n')}`);
    for (const label of ['reporter="destination"', 'request_protocol="grpc"', 'grpc_response_status="0"', 'connection_security_policy="mutual_tls"', 'source_principal="spiffe://cluster.local/ns/default/sa/shop"', 'destination_service_name="stock"', 'destination_workload="stock"']) {
      assert.ok(line.includes(label), `${label} missing from ${line}`);
    }
  });

  test("the dashboard's graph has the user's services, with gRPC on the shop -> stock edge", async () => {
    // The graph is the increase between the control plane's scrapes (every 2 s): a request made
    // before its first scrape of a proxy that just joined is in that baseline. Traffic keeps
    // flowing while it waits, as on a dashboard someone watches.
    let seen: string[] = [];
    const edge = await waitFor(
      'a shop-v1 -> stock edge in /api/graph',
      async () => {
        await get(`${mesh.gateway}/stock`);
        const graph = (await getJson<{ edges: Array<{ id: string; source: string; destination: string; protocol?: string; requests: number }> }>(`${mesh.plan.urls.dashboard}/api/graph`)).body;
        seen = graph.edges.map((e) => `${e.id} (${e.protocol ?? '?'}, ${e.requests})`);
        return graph.edges.find((e) => e.source.startsWith('shop-v1') && e.destination.startsWith('stock') && e.requests > 0);
      },
      20_000,
      250,
    ).catch((error: unknown) => assert.fail(`${String(error)}; the graph has ${seen.join(', ') || 'no edges'}`));
    assert.equal(edge.protocol, 'grpc');
  });

  test('skiff ls lists them with their identities, each SYNCED', async () => {
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [join(repoRoot, 'bin', 'skiff.mjs'), 'ls', '--json', '--control-plane', mesh.controlPlane], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (c: Buffer) => (text += c.toString()));
      child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`skiff ls exited ${code}`))));
    });
    const rows = JSON.parse(out) as Array<{ workload: string; identity: string; version: string; sync: string }>;
    const own = rows.filter((r) => r.workload.endsWith('.default'));
    assert.deepEqual(own.map((r) => [r.workload, r.version, r.identity, r.sync]), [
      ['shop-v1.default', 'v1', 'spiffe://cluster.local/ns/default/sa/shop', 'SYNCED'],
      ['shop-v2.default', 'v2', 'spiffe://cluster.local/ns/default/sa/shop', 'SYNCED'],
      ['stock.default', 'v1', 'spiffe://cluster.local/ns/default/sa/stock', 'SYNCED'],
      ['web.default', 'v1', 'spiffe://cluster.local/ns/default/sa/web', 'SYNCED'],
    ]);
  });

  test('Ctrl-C on skiff run takes the workload out: its route finds no endpoint, its token is gone', async () => {
    const shop2 = joined['shop-v2'] as Joined;
    shop2.child.kill('SIGINT');
    assert.equal(await shop2.exited, 0);
    const tokens = readFileSync(join((mesh.state as { dir: string }).dir, 'tokens.json'), 'utf8');
    assert.ok(!tokens.includes('shop-v2'), 'shop-v2 token left behind');
    // For the registry's grace second (a reconnect within it is seamless) the endpoint is still
    // listed and a request finds its listener closed (503, connection failure); then it is gone.
    await waitFor('a 503 "no healthy upstream" for v2 once its only endpoint left', async () => {
      const r = await get(`${mesh.gateway}/`, { 'end-user': 'jason' });
      return r.status === 503 && r.text.includes('no healthy upstream');
    }, 20_000);
    assert.equal((await get(`${mesh.gateway}/`)).text, 'shop v1', 'v1 is unaffected');
  });
});

// The same services declared in Istio's own API instead, as `skiff up` reads a config directory:
// shop (HTTP) and stock (gRPC) as WorkloadEntries whose skiff.dev/command annotations start them,
// stock's service, port and protocol named by a ServiceEntry whose workloadSelector picks it; and
// web, a server this test runs itself, which a WorkloadEntry without a command puts a sidecar in
// front of.
describe("a user's own services declared as WorkloadEntries, started and fronted as skiff up does", { timeout: 240_000 }, () => {
  let mesh: TestMesh;
  let web: Server;

  before(async () => {
    const [shopPort, stockPort, webPort] = (await freePorts(3)) as [number, number, number];
    web = createServer((_req, res) => res.end('a server the test runs')).listen(webPort, '127.0.0.1');
    await once(web, 'listening');
    const workloads = `apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: shop-v1
  annotations:
    skiff.dev/command: exec "${process.execPath}" shop.mjs
spec:
  labels: {app: shop, version: v1}
  serviceAccount: shop
  ports: {http: ${shopPort}}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: stock}
spec:
  hosts: [stock.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 7300, name: grpc, protocol: GRPC}]
  workloadSelector: {labels: {app: stock}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: stock
  annotations:
    skiff.dev/command: exec "${process.execPath}" stock.mjs
    skiff.dev/env: |
      SERVICE_VERSION=v7
spec:
  labels: {app: stock}
  ports: {grpc: ${stockPort}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: web}
spec:
  address: 127.0.0.1
  labels: {app: web}
  ports: {http: ${webPort}}
`;
    // The scripts sit beside the YAML: a command's working directory is its entry's file's.
    mesh = await startTestMesh({ noSamples: true, config: { 'mesh.yaml': config, 'workloads.yaml': workloads, 'shop.mjs': SHOP, 'stock.mjs': STOCK_SERVER } });
    await waitFor('shop v1 behind the gateway', async () => (await get(`${mesh.gateway}/`)).status === 200, 15_000);
  });

  after(async () => {
    await mesh?.stop();
    web?.close();
  });

  test('the gateway reaches the processes the entries start and the server one fronts; shop calls stock over gRPC and mutual TLS, as its policy allows', async () => {
    assert.equal((await get(`${mesh.gateway}/`)).text, 'shop v1');
    assert.equal((await get(`${mesh.gateway}/web/`)).text, 'a server the test runs');
    const answer = await get(`${mesh.gateway}/stock`);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.text, 'in stock: 3 (stock v7)', "stock's skiff.dev/env sets its version");
    const text = (await get(mesh.plan.urls.metrics['stock'] as string)).text;
    const line = text.split('\n').find((l) => l.startsWith('istio_requests_total{') && l.includes('source_workload="shop-v1"'));
    for (const label of ['request_protocol="grpc"', 'grpc_response_status="0"', 'connection_security_policy="mutual_tls"', 'destination_service_name="stock"', 'source_principal="spiffe://cluster.local/ns/default/sa/shop"']) {
      assert.ok(line?.includes(label), `${label} missing from ${line}`);
    }
  });

  test('their sidecars announce what the entries say: service, version, identity, the protocol from the ServiceEntry', async () => {
    const registry = (await getJson<Array<{ id: string; service: string; serviceAccount: string; labels: Record<string, string>; servicePort: number; servicePortName?: string; appProtocol?: string }>>(`${mesh.controlPlane}/debug/registryz`)).body;
    const stockEntry = registry.find((w) => w.id === 'stock.default');
    assert.deepEqual([stockEntry?.service, stockEntry?.servicePort, stockEntry?.servicePortName, stockEntry?.appProtocol, stockEntry?.serviceAccount], ['stock', 7300, 'grpc', 'grpc', 'stock']);
    const shop = registry.find((w) => w.id === 'shop-v1.default');
    assert.deepEqual([shop?.service, shop?.labels['version'], shop?.servicePortName], ['shop', 'v1', 'http']);
  });
});
