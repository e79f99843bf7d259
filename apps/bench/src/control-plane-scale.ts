// Control-plane scale: N simulated proxies hold discovery streams (real gRPC, the proxies'
// protocol: node on connect, ACK each push), a config file changes, and we time until every
// one of them has received and ACKed the new version; then the control plane's memory.
import { mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '@skiff/launcher';
import { createWorkloadCsr, generateWorkloadKey, splitPemCertificates, spiffeId } from '@skiff/pki';
import { createCertificateClient, createDiscoveryClient, grpc, MutableCertificateProvider, mutualTlsChannelCredentials, type AggregatedDiscoveryClient, type DiscoveryResponse, type DiscoveryStream, type DiscoveryTransport } from '@skiff/protocol';
import { memoryMiB } from './process-stats.js';
import { spawnReady } from './spawn-ready.js';

export interface ScaleResult {
  proxies: number;
  /** From writing the config file to the last ACK sent. */
  pushToAllAcksMs: number;
  /** Of that: from the first proxy receiving the new version to the last one (the fan-out itself). */
  fanOutMs: number;
  controlPlaneRssMiB: number;
}

const vs = (v2: number) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews }
spec:
  hosts: [reviews]
  http:
  - route:
    - { destination: { host: reviews, subset: v1 }, weight: ${100 - v2} }
    - { destination: { host: reviews, subset: v2 }, weight: ${v2} }
`;

interface SimulatedProxy {
  stream: DiscoveryStream;
  version: string;
  /** When each version arrived. */
  received: Map<string, number>;
}

function connect(client: AggregatedDiscoveryClient, i: number): SimulatedProxy {
  const stream = client.Stream();
  const proxy: SimulatedProxy = { stream, version: '', received: new Map() };
  const id = `sim-${i}.default`;
  stream.write({ node: { id, kind: 'sidecar', service: i % 2 ? 'reviews' : 'frontend', namespace: 'default', serviceAccount: 'sim', labels: { app: i % 2 ? 'reviews' : 'frontend', version: i % 4 < 2 ? 'v1' : 'v2' }, address: '127.0.0.1', inboundPort: 20000 + (i % 40000), servicePort: 9080 }, versionInfo: '', responseNonce: '' });
  stream.on('data', (response: DiscoveryResponse) => {
    proxy.received.set(response.versionInfo, performance.now());
    proxy.version = response.versionInfo;
    stream.write({ versionInfo: response.versionInfo, responseNonce: response.nonce });
  });
  stream.on('error', () => undefined);
  return proxy;
}

/**
 * The simulated proxies' identity, as a real one gets it: a bootstrap token, a CSR to the CA over
 * TLS, then mutual TLS on the discovery stream (the control plane serves nothing else).
 */
async function simulatedIdentity(xds: number, tokensFile: string, rootCertFile: string): Promise<DiscoveryTransport> {
  const token = 'bench-simulated-proxies-token';
  writeFileSync(tokensFile, JSON.stringify({ tokens: [{ token, namespace: 'default', serviceAccount: 'sim', services: ['reviews', 'frontend'] }] }));
  const roots = new MutableCertificateProvider();
  roots.setRoots(readFileSync(rootCertFile, 'utf8'));
  const ca = createCertificateClient(`127.0.0.1:${xds}`, { credentials: mutualTlsChannelCredentials(roots, null), serverName: 'skiff-control-plane' });
  const keys = await generateWorkloadKey();
  const csr = createWorkloadCsr(spiffeId('cluster.local', 'default', 'sim'), keys.privateKeyPem);
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  const chain = await new Promise<string[]>((resolve, reject) =>
    ca.CreateCertificate({ csr, validityDuration: 3600 }, metadata, { deadline: Date.now() + 10_000 }, (error, response) => (error ? reject(error) : resolve((response?.certChain ?? []).flatMap(splitPemCertificates)))),
  );
  ca.close();
  const identity = new MutableCertificateProvider();
  identity.setIdentity(chain.slice(0, -1).join(''), keys.privateKeyPem);
  return { credentials: mutualTlsChannelCredentials(roots, identity), serverName: 'skiff-control-plane' };
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function runControlPlaneScale(root: string, counts: readonly number[], progress: (line: string) => void): Promise<ScaleResult[]> {
  const out: ScaleResult[] = [];
  for (const n of counts) {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-cp-'));
    const config = join(dir, 'config');
    mkdirSync(config);
    writeFileSync(join(config, 'reviews.yaml'), vs(10));
    const [xds, monitoring] = (await freePorts(2)) as [number, number];
    progress(`control plane with ${n} simulated proxies…`);
    const tokensFile = join(dir, 'tokens.json');
    writeFileSync(tokensFile, JSON.stringify({ tokens: [] }));
    const cp = await spawnReady('control plane', process.execPath, [join(root, 'dist/apps/control-plane/main.js'), '--config', config, '--xds-port', String(xds), '--monitoring-port', String(monitoring), '--dashboard-port', 'off', '--ca-dir', join(dir, 'ca'), '--tokens', tokensFile, '--registry-file', 'off', '--warmup-ms', '0'], `http://127.0.0.1:${monitoring}/ready`, { cwd: root });
    const transport = await simulatedIdentity(xds, tokensFile, join(dir, 'ca', 'root-cert.pem'));
    // A few channels, as many proxies on one machine would share nothing but the server.
    const clients = Array.from({ length: Math.max(1, Math.ceil(n / 100)) }, () => createDiscoveryClient(`127.0.0.1:${xds}`, transport));
    const proxies = Array.from({ length: n }, (_, i) => connect(clients[i % clients.length] as AggregatedDiscoveryClient, i));
    try {
      await until(`${n} proxies to get their first config`, () => proxies.every((p) => p.version !== ''), 120_000);
      // Every proxy's snapshot depends on every other's endpoints: wait for that churn to end.
      let last = '';
      for (let stable = 0; stable < 20; ) {
        const now = proxies.map((p) => p.version).join();
        stable = now === last ? stable + 1 : 0;
        last = now;
        await new Promise((r) => setTimeout(r, 50));
      }
      const before = new Map(proxies.map((p) => [p, p.version]));
      const t0 = performance.now();
      writeFileSync(join(config, '.reviews.yaml.tmp'), vs(50));
      renameSync(join(config, '.reviews.yaml.tmp'), join(config, 'reviews.yaml'));
      await until(`${n} proxies to ACK the change`, () => proxies.every((p) => p.version !== before.get(p)), 120_000);
      const arrivals = proxies.map((p) => p.received.get(p.version) as number);
      out.push({ proxies: n, pushToAllAcksMs: Math.max(...arrivals) - t0, fanOutMs: Math.max(...arrivals) - Math.min(...arrivals), controlPlaneRssMiB: memoryMiB(cp.pid).current });
      progress(`  ${n} proxies: all ACKed ${(Math.max(...arrivals) - t0).toFixed(0)} ms after the file changed; control plane ${out.at(-1)?.controlPlaneRssMiB.toFixed(0)} MiB`);
    } finally {
      for (const p of proxies) p.stream.cancel();
      for (const c of clients) c.close();
      await cp.stop();
    }
  }
  return out;
}
