// Skiff's cases: a control plane, a server-side sidecar in front of the upstream and a
// client-side sidecar, started as `skiff up` starts them (same entry points and flags), with
// identities, so client sidecar -> server sidecar is mutual TLS as in the mesh. Access logs and
// tracing are off, as in Istio's default profile.
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, writeBootstrapTokens } from '@skiff/launcher';
import { spawnReady, type Started } from '../spawn-ready.js';

export interface SkiffMesh {
  controlPlane: Started;
  client: Started;
  server: Started;
  /** Client sidecar's outbound listener: send Host: upstream:9080 to cross the mesh. */
  outbound: string;
  /** Server sidecar's inbound listener (plaintext is accepted under the default PERMISSIVE). */
  inbound: string;
  serverAdmin: string;
  clientAdmin: string;
  stop(): Promise<void>;
}

/** `nodeArgs` go before each sidecar's entry point, e.g. --cpu-prof to profile it. */
export async function startSkiffMesh(root: string, upstreamPort: number, nodeArgs: string[] = [], mtls = true): Promise<SkiffMesh> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-'));
  const config = join(dir, 'config');
  mkdirSync(config);
  const { tokensFile, tokenFiles } = writeBootstrapTokens(dir, [
    { name: 'upstream', namespace: 'default', serviceAccount: 'upstream' },
    { name: 'bench-client', namespace: 'default', serviceAccount: 'bench-client' },
  ]);
  const [xds, plaintextXds, monitoring, ...p] = (await freePorts(11)) as number[];
  const port = (i: number) => String(p[i]);
  // The bundles images run (tools/bundle.mjs), not tsx: start-up and memory as users get them.
  const tsx = (app: string) => [join(root, 'dist', 'apps', app, 'main.js')];
  const controlPlane = await spawnReady('control plane', process.execPath, [...tsx('control-plane'), '--config', config, '--xds-port', String(xds), '--monitoring-port', String(monitoring), '--dashboard-port', 'off', '--ca-dir', join(dir, 'ca'), '--tokens', tokensFile, '--warmup-ms', '0', ...(mtls ? [] : ['--plaintext-xds-port', String(plaintextXds)])], `http://127.0.0.1:${monitoring}/ready`, { cwd: root });
  // Discovery is mutual TLS with the workload certificate; the no-mTLS case uses the plaintext port.
  const discovery = mtls ? ['--control-plane', `127.0.0.1:${xds}`, '--root-cert', join(dir, 'ca', 'root-cert.pem')] : ['--control-plane', `127.0.0.1:${plaintextXds}`, '--plaintext-discovery'];
  const sidecar = (service: string, token: string, appPort: number, base: number) =>
    spawnReady(
      `${service} sidecar`,
      process.execPath,
      [...nodeArgs, ...tsx('proxy'), '--service', service, '--id', `${service}.default`, '--app-port', String(appPort), '--outbound-port', port(base), '--inbound-port', port(base + 1), '--admin-port', port(base + 2), '--metrics-port', port(base + 3), ...discovery, ...(mtls ? ['--token-file', token] : [])],
      `http://127.0.0.1:${port(base + 2)}/ready`,
      { cwd: root },
    );
  const server = await sidecar('upstream', tokenFiles['upstream'] as string, upstreamPort, 0);
  const client = await sidecar('bench-client', tokenFiles['bench-client'] as string, upstreamPort, 4);
  return {
    controlPlane,
    client,
    server,
    outbound: `http://127.0.0.1:${port(4)}`,
    inbound: `http://127.0.0.1:${port(1)}`,
    serverAdmin: `http://127.0.0.1:${port(2)}`,
    clientAdmin: `http://127.0.0.1:${port(6)}`,
    async stop() {
      await Promise.all([client.stop(), server.stop()]);
      await controlPlane.stop();
    },
  };
}
