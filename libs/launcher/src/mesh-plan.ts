// The local mesh as a list of processes: what `skiff up` starts and what the integration tests
// start. One place decides ports and flags, so the tests run exactly what users run.
//
// Ports follow Istio's numbers, shifted by 100 per workload because all processes share one
// host: workload k gets admin 15000+100k, outbound 15001+100k, inbound 15006+100k, and its app
// 9080+100k. The gateway listens on 8080 for the Gateway's port 80. Each proxy serves Istio
// metrics at /stats/prometheus on 15090+100k (the gateway on 15090, Istio's port).
// Access logs are off, as in Istio, unless SKIFF_ACCESS_LOG=1 (or MeshPlanOptions.accessLog).
// Every proxy sends its spans to the control plane's trace store (OTLP/HTTP on the monitoring
// port) unless OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT names a collector; the dashboard is on 20001.
import { join } from 'node:path';
import type { ProcessSpec } from './process-spec.js';
import type { MeshState, WorkloadAccount } from './mesh-state.js';
import { meshLink, outboundProxyEnv, sidecarSpec } from './sidecar-spec.js';
import type { ConfiguredWorkload } from './configured-workloads.js';

export const GATEWAY_ACCOUNT: WorkloadAccount = { name: 'istio-ingressgateway', namespace: 'istio-system', serviceAccount: 'istio-ingressgateway-service-account', services: ['istio-ingressgateway'] };

/** The identities of the local mesh's workloads (service account = service name, as in Bookinfo's spirit). */
export function meshAccounts(namespace = 'default'): WorkloadAccount[] {
  return [GATEWAY_ACCOUNT, ...SAMPLE_WORKLOADS.map((w) => ({ name: w.name, namespace, serviceAccount: w.service }))];
}

export interface SampleWorkload {
  name: string;
  service: string;
  version?: string;
  app: 'frontend' | 'reviews' | 'ratings' | 'tcp-echo' | 'https-hello';
  /** The service port's name (its protocol, as in Istio); undefined: unnamed, sniffed per connection. */
  portName?: string;
  /** The port callers name: Bookinfo's 9080, tcp-echo's 9000 (Istio's samples). */
  servicePort: number;
  /** How its sidecar checks it (the proxy's --app-probe): HTTP apps by /healthz, tcp-echo by a connect. */
  probe: 'http:/healthz' | 'tcp';
  /** The app's own settings (tcp-echo's PREFIX: which version answered). */
  env?: Record<string, string>;
}

export const SAMPLE_WORKLOADS: readonly SampleWorkload[] = [
  { name: 'frontend', service: 'frontend', version: 'v1', app: 'frontend', portName: 'http', servicePort: 9080, probe: 'http:/healthz' },
  { name: 'reviews-v1', service: 'reviews', version: 'v1', app: 'reviews', portName: 'http', servicePort: 9080, probe: 'http:/healthz' },
  { name: 'reviews-v2', service: 'reviews', version: 'v2', app: 'reviews', portName: 'http', servicePort: 9080, probe: 'http:/healthz' },
  // ratings serves HTTP/JSON and gRPC on one port: unnamed, so sidecars carry whichever the
  // caller speaks (Istio's sniffing and UseDownstreamProtocol for an undeclared port).
  { name: 'ratings', service: 'ratings', version: 'v1', app: 'ratings', servicePort: 9080, probe: 'http:/healthz' },
  // Istio's samples/tcp-echo for its TCP traffic-shifting task: port 9000 named tcp, each
  // version prefixing its echo with its own word.
  { name: 'tcp-echo-v1', service: 'tcp-echo', version: 'v1', app: 'tcp-echo', portName: 'tcp', servicePort: 9000, probe: 'tcp', env: { PREFIX: 'one' } },
  { name: 'tcp-echo-v2', service: 'tcp-echo', version: 'v2', app: 'tcp-echo', portName: 'tcp', servicePort: 9000, probe: 'tcp', env: { PREFIX: 'two' } },
  // Istio's TLS passthrough task's my-nginx: HTTPS with its own nginx.example.com certificate,
  // port 443 named https, which the gateway and sidecars carry without terminating.
  { name: 'my-nginx', service: 'my-nginx', version: 'v1', app: 'https-hello', portName: 'https', servicePort: 443, probe: 'tcp' },
];

/** The product page's workloads alone: what most tests start (the labs' other samples add processes they do not use). */
export const BOOKINFO_WORKLOADS: readonly SampleWorkload[] = SAMPLE_WORKLOADS.filter((w) => ['frontend', 'reviews', 'ratings'].includes(w.app));

/** The gateway's TCP server port in Istio's samples (tcp-echo's Gateway); the local mesh binds the same number. */
export const GATEWAY_TCP_SERVER_PORT = 31400;

/** The gateway's HTTPS server port in Istio's tasks, bound on 8443 locally (443 needs root). */
export const GATEWAY_HTTPS_SERVER_PORT = 443;

/** Where `npm start` runs the external stand-in (a host outside the mesh, for the egress lab). */
export const EXTERNAL_STANDIN_PORT = 9900;

export interface WorkloadPorts {
  app: number;
  /** The sample app's demo controls (/admin/...), on 127.0.0.1 only: always app + 1 (ADMIN_PORT). */
  appAdmin: number;
  admin: number;
  outbound: number;
  inbound: number;
  /** Prometheus metrics (/stats/prometheus), Istio's 15090 shifted. */
  metrics: number;
}

export interface MeshPorts {
  /** Discovery and CA over mutual TLS (Istio's 15012). */
  xds: number;
  /** Plaintext discovery for a mesh without identities (tests only; Istio's 15010). */
  xdsPlaintext?: number;
  monitoring: number;
  /** The dashboard (Kiali's 20001). */
  dashboard: number;
  gateway: number;
  /** The gateway's listener for its Gateway server port 31400 (TCP in Istio's tcp-echo task). */
  gatewayTcp: number;
  /** The gateway's listener for its Gateway server port 443 (Istio's TLS passthrough task). */
  gatewayHttps: number;
  /** The stand-in for a host outside the mesh (the egress lab's httpbin), no sidecar. */
  externalStandin: number;
  gatewayAdmin: number;
  gatewayMetrics: number;
  workloads: Record<string, WorkloadPorts>;
}


/** Slots after the samples' for a config directory's own workloads: their admin ports stay below the dashboard's 20001. */
export const MAX_CONFIGURED_WORKLOADS = 40;

/**
 * Fixed, Istio-like ports for `skiff up`; `offset` moves them all (two meshes on one host). The
 * config directory's own workloads (`configured`, by name) take the slots after the samples';
 * their apps listen where their WorkloadEntries say, so their `app` ports are unused.
 */
export function fixedPorts(offset = 0, configured: readonly string[] = []): MeshPorts {
  if (configured.length > MAX_CONFIGURED_WORKLOADS) throw new Error(`skiff up starts at most ${MAX_CONFIGURED_WORKLOADS} WorkloadEntries (each sidecar's ports are fixed); this config has ${configured.length}`);
  const workloads: Record<string, WorkloadPorts> = {};
  [...SAMPLE_WORKLOADS.map((w) => w.name), ...configured].forEach((name, i) => {
    const k = (i + 1) * 100 + offset;
    workloads[name] = { app: 9080 + k, appAdmin: 9081 + k, admin: 15000 + k, outbound: 15001 + k, inbound: 15006 + k, metrics: 15090 + k };
  });
  return { xds: 15012 + offset, monitoring: 15014 + offset, dashboard: 20001 + offset, gateway: 8080 + offset, gatewayTcp: GATEWAY_TCP_SERVER_PORT + offset, gatewayHttps: 8443 + offset, externalStandin: EXTERNAL_STANDIN_PORT + offset, gatewayAdmin: 15000 + offset, gatewayMetrics: 15090 + offset, workloads };
}

/** Free ports (from @skiff/launcher's one allocator), for tests that run side by side. */
export async function ephemeralPorts(freePorts: (n: number, options?: { adjacent?: boolean }) => Promise<number[]>, configured: readonly string[] = []): Promise<MeshPorts> {
  const n = 10 + (SAMPLE_WORKLOADS.length + configured.length) * 4;
  const p = await freePorts(n);
  const apps = await freePorts(SAMPLE_WORKLOADS.length, { adjacent: true });
  let i = 0;
  const next = () => p[i++] as number;
  const ports: MeshPorts = { xds: next(), xdsPlaintext: next(), monitoring: next(), dashboard: next(), gateway: next(), gatewayTcp: next(), gatewayHttps: next(), externalStandin: next(), gatewayAdmin: next(), gatewayMetrics: next(), workloads: {} };
  SAMPLE_WORKLOADS.forEach((w, k) => {
    const app = apps[k] as number;
    ports.workloads[w.name] = { app, appAdmin: app + 1, admin: next(), outbound: next(), inbound: next(), metrics: next() };
  });
  // Their apps listen where their WorkloadEntries say: no app port of ours.
  for (const name of configured) ports.workloads[name] = { app: 0, appAdmin: 0, admin: next(), outbound: next(), inbound: next(), metrics: next() };
  return ports;
}

export interface MeshPlanOptions {
  root: string;
  configDir: string;
  ports: MeshPorts;
  namespace?: string;
  /** Extra environment for every process (e.g. SKIFF_LOG_LEVEL). */
  env?: Record<string, string>;
  /** Extra environment per sample app process, by workload name (e.g. `reviews-v2`); not for its sidecar. */
  appEnv?: Record<string, Record<string, string>>;
  controlPlaneArgs?: string[];
  /** Extra arguments for the gateway, e.g. `--listen <port>:443 --credentials-dir <dir>` for an HTTPS server. */
  gatewayArgs?: string[];
  /** CA root and bootstrap tokens; without it the mesh runs without identities (plaintext). */
  state?: MeshState;
  /** Envoy-style access log from every proxy; default: on only when SKIFF_ACCESS_LOG=1 (in env or the process environment). */
  accessLog?: boolean;
  /** Which sample workloads to start (default: all of SAMPLE_WORKLOADS, as `skiff up` does). */
  samples?: readonly SampleWorkload[];
  /** Start the external stand-in (default: true, as `skiff up` does). */
  externalStandin?: boolean;
  /** The config directory's own workloads (WorkloadEntries): a sidecar each, and the process where one has a command. */
  configured?: readonly ConfiguredWorkload[];
}

export interface MeshPlan {
  stages: ProcessSpec[][];
  ports: MeshPorts;
  urls: { gateway: string; controlPlane: string; dashboard: string; admin: Record<string, string>; /** Prometheus scrape URLs (/stats/prometheus), by workload. */ metrics: Record<string, string> };
}

const host = '127.0.0.1';

function tsEntry(root: string, app: string): string[] {
  return ['--import', 'tsx', join(root, 'apps', app, 'src', 'main.ts')];
}

export function controlPlaneSpec(options: MeshPlanOptions): ProcessSpec {
  const { root, ports, state } = options;
  const identity = state
    ? ['--ca-dir', state.caDir, '--tokens', state.tokensFile, '--registry-file', join(state.dir, 'registry.json'), '--mesh-token-file', state.meshTokenFile]
    : ['--plaintext-xds-port', String(ports.xdsPlaintext), '--registry-file', 'off', '--mesh-token-file', 'off'];
  return {
    name: 'control-plane',
    command: process.execPath,
    args: [...tsEntry(root, 'control-plane'), '--config', options.configDir, '--xds-port', String(ports.xds), '--monitoring-port', String(ports.monitoring), '--dashboard-port', String(ports.dashboard), ...identity, ...(options.controlPlaneArgs ?? [])],
    env: options.env,
    cwd: root,
    ready: { url: `http://${host}:${ports.monitoring}/ready` },
  };
}

/** https-hello keeps its example.com certificates in the state directory, where the lab's curl finds the root. */
function certDir(w: SampleWorkload, state: MeshState | undefined): Record<string, string> {
  return w.app === 'https-hello' && state ? { CERT_DIR: join(state.dir, 'example-certs') } : {};
}

export function meshPlan(options: MeshPlanOptions): MeshPlan {
  const { root, ports } = options;
  const namespace = options.namespace ?? 'default';
  const samples = options.samples ?? SAMPLE_WORKLOADS;
  const unknownApps = Object.keys(options.appEnv ?? {}).filter((name) => !samples.some((w) => w.name === name));
  if (unknownApps.length > 0) {
    throw new Error(`meshPlan: appEnv names unknown workload(s) ${unknownApps.join(', ')}; the sample workloads are ${samples.map((w) => w.name).join(', ')}`);
  }
  const { state } = options;
  if (!state && ports.xdsPlaintext === undefined) throw new Error('meshPlan: a mesh without identities (no state) needs ports.xdsPlaintext for plaintext discovery');
  const apps: ProcessSpec[] = [];
  const sidecars: ProcessSpec[] = [];
  const admin: Record<string, string> = { 'istio-ingressgateway': `http://${host}:${ports.gatewayAdmin}` };
  const metrics: Record<string, string> = { 'istio-ingressgateway': `http://${host}:${ports.gatewayMetrics}/stats/prometheus` };
  // With a collector named in the environment the proxies inherit it; else the control plane keeps
  // the traces, taking spans with the mesh token only.
  const link = meshLink({
    controlPlane: `${host}:${state ? ports.xds : ports.xdsPlaintext}`,
    ...(state ? { rootCert: join(state.caDir, 'root-cert.pem'), traceTokenFile: state.meshTokenFile } : {}),
    traceEndpoint: `http://${host}:${ports.monitoring}/v1/traces`,
    ...(options.env ? { env: options.env } : {}),
    ...(options.accessLog !== undefined ? { accessLog: options.accessLog } : {}),
  });
  const telemetryArgs = (metricsPort: number) => ['--metrics-port', String(metricsPort), '--access-log', link.accessLog ? 'stdout' : 'off', ...link.tracing];
  for (const w of samples) {
    const p = ports.workloads[w.name];
    if (!p) throw new Error(`meshPlan: ports.workloads has no ports for sample workload ${w.name}`);
    admin[w.name] = `http://${host}:${p.admin}`;
    metrics[w.name] = `http://${host}:${p.metrics}/stats/prometheus`;
    apps.push({
      name: w.name,
      command: process.execPath,
      args: tsEntry(root, w.app),
      env: { ...options.env, ...w.env, ...certDir(w, options.state), ...options.appEnv?.[w.name], PORT: String(p.app), ADMIN_PORT: String(p.appAdmin), SERVICE_VERSION: w.version ?? 'v1', SKIFF_OUTBOUND_PROXY: `http://${host}:${p.outbound}` },
      cwd: root,
      // Apps without HTTP (tcp-echo, https-hello) say when they listen: `<app> listening on host:port`.
      ready: w.probe === 'tcp' ? { logLine: new RegExp(`${w.app} listening on`) } : { url: `http://${host}:${p.app}/healthz` },
    });
    const tokenFile = options.state?.tokenFiles[w.name];
    sidecars.push(
      sidecarSpec({
        root,
        // Named http, as Bookinfo's Services name their ports (Istio reads HTTP/1.1 from it), tcp, or unnamed.
        workload: { name: w.name, service: w.service, namespace, version: w.version ?? 'v1', servicePort: w.servicePort, appPort: p.app, probe: w.probe, ...(w.portName ? { portName: w.portName } : {}) },
        ports: p,
        link,
        ...(tokenFile ? { tokenFile } : {}),
        ...(options.env ? { env: options.env } : {}),
      }),
    );
  }
  for (const w of options.configured ?? []) {
    const p = ports.workloads[w.name];
    if (!p) throw new Error(`meshPlan: ports.workloads has no ports for ${w.origin}`);
    admin[w.name] = `http://${host}:${p.admin}`;
    metrics[w.name] = `http://${host}:${p.metrics}/stats/prometheus`;
    if (w.command) {
      apps.push({
        name: w.name,
        command: '/bin/sh',
        args: ['-c', w.command],
        env: { ...options.env, ...outboundProxyEnv(p.outbound), PORT: String(w.appPort), SERVICE_NAME: w.service, SERVICE_VERSION: w.version ?? 'v1', ...w.env },
        cwd: w.cwd,
        ready: { tcp: { host: w.appHost, port: w.appPort } },
        readyTimeoutMs: 60_000,
      });
    }
    const tokenFile = options.state?.tokenFiles[w.name];
    sidecars.push(sidecarSpec({ root, workload: w, ports: p, link, ...(tokenFile ? { tokenFile } : {}), ...(options.env ? { env: options.env } : {}) }));
  }
  if (options.externalStandin ?? true) {
    // Outside the mesh: no sidecar, no identity, reached by sidecars as an external host.
    apps.push({
      name: 'external-standin',
      command: process.execPath,
      args: tsEntry(root, 'external-standin'),
      env: { ...options.env, PORT: String(ports.externalStandin), HOST: host },
      cwd: root,
      ready: { url: `http://${host}:${ports.externalStandin}/status/200` },
    });
  }
  const gateway: ProcessSpec = {
    name: 'gateway',
    command: process.execPath,
    args: [...tsEntry(root, 'gateway'), '--listen', `${ports.gateway}:80`, '--listen', `${ports.gatewayTcp}:${GATEWAY_TCP_SERVER_PORT}`, '--listen', `${ports.gatewayHttps}:${GATEWAY_HTTPS_SERVER_PORT}`, '--admin-port', String(ports.gatewayAdmin), ...link.discovery, ...telemetryArgs(ports.gatewayMetrics), ...(options.state?.tokenFiles[GATEWAY_ACCOUNT.name] ? ['--token-file', options.state.tokenFiles[GATEWAY_ACCOUNT.name] as string] : []), ...(options.gatewayArgs ?? [])],
    env: options.env,
    cwd: root,
    ready: { url: `http://${host}:${ports.gatewayAdmin}/ready` },
  };
  return {
    stages: [[controlPlaneSpec(options)], apps, [...sidecars, gateway]],
    ports,
    urls: { gateway: `http://${host}:${ports.gateway}`, controlPlane: `http://${host}:${ports.monitoring}`, dashboard: `http://${host}:${ports.dashboard}`, admin, metrics },
  };
}
