// A small mesh of real processes, started as `skiff up` starts them (from source, under tsx): a
// control plane reading one config file, a sidecar per workload in front of an app the test runs
// itself, and optionally an ingress gateway. For whole-mesh tests that need their own apps
// (1 GiB bodies, WebSocket, gRPC) rather than the samples. Every port comes from the one
// allocator (freePorts), so nothing here can collide with what the test starts.
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controlPlaneSpec, freePorts, GATEWAY_ACCOUNT, meshLink, prepareMeshState, sidecarSpec, Supervisor, type MeshState, type ProcessSpec } from '@skiff/launcher';
import { repoRoot } from './mesh.js';

export interface ProcessMeshWorkload {
  /** Workload name ("echo-v1"): its token, its proxy id (<name>.default) and its process ("<name>-proxy"). */
  name: string;
  /** Service it belongs to (default: the name). */
  service?: string;
  version?: string;
  /** Istio's port name ("grpc-echo"), which names the port's protocol; unnamed by default (sniffed). */
  portName?: string;
  /** Where the test's app for this workload listens. */
  appPort: number;
  /** The service port callers name (default 9080; tcp-echo's is 9000). */
  servicePort?: number;
}

export interface ProcessMeshOptions {
  /** Istio YAML for the control plane's config directory. */
  config: string;
  workloads: ProcessMeshWorkload[];
  /** An ingress gateway with a listener for Gateway server port 80, or for the server ports listed. */
  gateway?: boolean | { serverPorts: number[] };
  /** Extra environment for the proxies (NODE_OPTIONS, say). */
  proxyEnv?: Record<string, string>;
  /** Extra control-plane flags (--outbound-traffic-policy REGISTRY_ONLY, say). */
  controlPlaneArgs?: string[];
}

export interface ProcessEndpoints {
  pid: number;
  admin: string;
  /** The proxy's /stats/prometheus URL. */
  metrics: string;
  /** A sidecar's outbound listener: the address its app would use as its proxy. */
  outbound?: number;
}

export interface ProcessMesh {
  state: MeshState;
  /** The gateway's local port for Gateway server port 80, when it has one. */
  gatewayPort?: number;
  /** The gateway's local port for each Gateway server port it listens for. */
  gatewayPorts: Record<number, number>;
  /** The control plane's config directory (mesh.yaml); with controlPlane and writeConfig, what applyConfig needs. */
  configDir: string;
  /** The control plane's monitoring URL. */
  controlPlane: string;
  /** Writes a config file atomically (write + rename). */
  writeConfig(name: string, text: string): void;
  /** By process name: "<workload>-proxy", and "gateway". */
  proxies: Record<string, ProcessEndpoints>;
  stop(): Promise<void>;
}

export async function startProcessMesh(options: ProcessMeshOptions): Promise<ProcessMesh> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-process-mesh-'));
  const configDir = join(dir, 'config');
  mkdirSync(configDir);
  writeFileSync(join(configDir, 'mesh.yaml'), options.config);
  const accounts = options.workloads.map((w) => ({ name: w.name, namespace: 'default', serviceAccount: w.service ?? w.name, services: [w.service ?? w.name] }));
  const state = prepareMeshState(join(dir, 'state'), options.gateway ? [GATEWAY_ACCOUNT, ...accounts] : accounts);
  const serverPorts = options.gateway === undefined || options.gateway === false ? [] : options.gateway === true ? [80] : options.gateway.serverPorts;
  const ports = (await freePorts(3 + 4 * options.workloads.length + (serverPorts.length > 0 ? 2 + serverPorts.length : 0))) as number[];
  const next = () => ports.shift() as number;
  const [xds, monitoring, dashboard] = [next(), next(), next()];
  const tsEntry = (app: string) => ['--import', 'tsx', join(repoRoot, 'apps', app, 'src', 'main.ts')];
  const link = meshLink({ controlPlane: `127.0.0.1:${xds}`, rootCert: join(state.caDir, 'root-cert.pem'), accessLog: false });
  const discovery = link.discovery;
  const env = options.proxyEnv;
  const proxies: Record<string, ProcessEndpoints> = {};
  const specs: ProcessSpec[] = [];
  for (const w of options.workloads) {
    const [outbound, inbound, admin, metrics] = [next(), next(), next(), next()];
    proxies[`${w.name}-proxy`] = { pid: 0, admin: `http://127.0.0.1:${admin}`, metrics: `http://127.0.0.1:${metrics}/stats/prometheus`, outbound };
    specs.push(
      sidecarSpec({
        root: repoRoot,
        workload: { name: w.name, service: w.service ?? w.name, namespace: 'default', servicePort: w.servicePort ?? 9080, appPort: w.appPort, ...(w.version ? { version: w.version } : {}), ...(w.portName ? { portName: w.portName } : {}) },
        ports: { outbound, inbound, admin, metrics },
        link,
        tokenFile: state.tokenFiles[w.name] as string,
        ...(env ? { env } : {}),
      }),
    );
  }
  const gatewayPorts: Record<number, number> = {};
  if (serverPorts.length > 0) {
    const [admin, metrics] = [next(), next()];
    for (const serverPort of serverPorts) gatewayPorts[serverPort] = next();
    proxies['gateway'] = { pid: 0, admin: `http://127.0.0.1:${admin}`, metrics: `http://127.0.0.1:${metrics}/stats/prometheus` };
    specs.push({
      name: 'gateway',
      command: process.execPath,
      args: [...tsEntry('gateway'), ...serverPorts.flatMap((p) => ['--listen', `${gatewayPorts[p]}:${p}`]), '--admin-port', String(admin), '--metrics-port', String(metrics), ...discovery, '--access-log', 'off', '--token-file', state.tokenFiles[GATEWAY_ACCOUNT.name] as string],
      cwd: repoRoot,
      ...(env ? { env } : {}),
      ready: { url: `http://127.0.0.1:${admin}/ready` },
    });
  }
  const supervisor = new Supervisor({ prefixOutput: false });
  const controlPlane = controlPlaneSpec({ root: repoRoot, configDir, state, ports: { xds, monitoring, dashboard } as Parameters<typeof controlPlaneSpec>[0]['ports'], ...(options.controlPlaneArgs ? { controlPlaneArgs: options.controlPlaneArgs } : {}) });
  const stop = async () => {
    await supervisor.stopAll();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const started = await supervisor.startAll([[controlPlane], specs]);
    for (const proc of started) if (proxies[proc.name]) (proxies[proc.name] as ProcessEndpoints).pid = proc.pid;
  } catch (error) {
    await stop();
    throw error;
  }
  const gatewayPort = gatewayPorts[80];
  const writeConfig = (name: string, text: string) => {
    const temp = join(configDir, `.${name}.tmp`);
    writeFileSync(temp, text);
    renameSync(temp, join(configDir, name));
  };
  return { state, ...(gatewayPort === undefined ? {} : { gatewayPort }), gatewayPorts, configDir, controlPlane: `http://127.0.0.1:${monitoring}`, writeConfig, proxies, stop };
}
