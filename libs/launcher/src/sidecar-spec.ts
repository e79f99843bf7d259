// One sidecar's process, from what it fronts and how it reaches its mesh: the one place that
// turns a workload into the proxy's flags, for `skiff up`'s samples, for the workloads a config
// directory declares (WorkloadEntry), for `skiff run`, and for the tests' meshes.
import { join } from 'node:path';
import { outboundProxyEnv as proxyEnvFor } from '@skiff/api';
import type { ProcessSpec } from './process-spec.js';

const HOST = '127.0.0.1';

export interface SidecarWorkload {
  /** Workload name ("reviews-v1", "orders-v2"): the proxy id is <name>.<namespace>, the process <name>-proxy. */
  name: string;
  service: string;
  namespace: string;
  /** The identity's service account (default: the service name, as the proxy assumes). */
  serviceAccount?: string;
  version?: string;
  /** More workload labels (app and version are set from service and version). */
  labels?: Record<string, string>;
  /** The port callers name ("http://reviews:9080"). */
  servicePort: number;
  /** Istio's port name, whose prefix is the protocol ("http", "grpc-orders", "tcp"); unnamed: sniffed. */
  portName?: string;
  appProtocol?: string;
  /** Where the app listens. */
  appPort: number;
  /** The app's address, when not 127.0.0.1 (a WorkloadEntry's). */
  appHost?: string;
  /** The proxy's --app-probe: http:/<path>, tcp or none. */
  probe?: string;
}

export interface SidecarPorts {
  outbound: number;
  inbound: number;
  admin: number;
  metrics: number;
}

/** How every proxy of one mesh reaches its control plane and telemetry (see meshLink). */
export interface MeshLink {
  /** --control-plane ... --root-cert ... (or --plaintext-discovery). */
  discovery: string[];
  /** --trace-endpoint ... --trace-token-file ..., or nothing when a collector is named in the environment. */
  tracing: string[];
  accessLog: boolean;
}

export interface MeshLinkOptions {
  /** host:port of discovery over mutual TLS (Istio's 15012). */
  controlPlane: string;
  /** The mesh root; without it, plaintext discovery (a test mesh without identities). */
  rootCert?: string;
  /** The control plane's trace store (OTLP/HTTP), used unless OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is set. */
  traceEndpoint?: string;
  traceTokenFile?: string;
  env?: Record<string, string | undefined>;
  accessLog?: boolean;
}

export function meshLink(options: MeshLinkOptions): MeshLink {
  const env = { ...process.env, ...options.env };
  const collector = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  const tracing = collector || !options.traceEndpoint ? [] : ['--trace-endpoint', options.traceEndpoint, ...(options.traceTokenFile ? ['--trace-token-file', options.traceTokenFile] : [])];
  const discovery = options.rootCert ? ['--control-plane', options.controlPlane, '--root-cert', options.rootCert] : ['--control-plane', options.controlPlane, '--plaintext-discovery'];
  return { discovery, tracing, accessLog: options.accessLog ?? env['SKIFF_ACCESS_LOG'] === '1' };
}

export interface SidecarSpecOptions {
  /** The repository root (the proxy runs from source under tsx). */
  root: string;
  workload: SidecarWorkload;
  ports: SidecarPorts;
  link: MeshLink;
  /** The bootstrap token that entitles the proxy to its identity; without it, no certificate (plaintext mesh). */
  tokenFile?: string;
  env?: Record<string, string>;
}

export function sidecarSpec(options: SidecarSpecOptions): ProcessSpec {
  const { workload: w, ports: p, link } = options;
  const labels = { ...w.labels, ...(w.version ? { version: w.version } : {}) };
  return {
    name: `${w.name}-proxy`,
    command: process.execPath,
    args: [
      '--import', 'tsx', join(options.root, 'apps', 'proxy', 'src', 'main.ts'),
      '--service', w.service,
      '--namespace', w.namespace,
      ...(w.serviceAccount && w.serviceAccount !== w.service ? ['--service-account', w.serviceAccount] : []),
      ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
      '--id', `${w.name}.${w.namespace}`,
      '--service-port', String(w.servicePort),
      ...(w.portName ? ['--service-port-name', w.portName] : []),
      ...(w.appProtocol ? ['--app-protocol', w.appProtocol] : []),
      '--app-port', String(w.appPort),
      ...(w.appHost && w.appHost !== HOST ? ['--app-host', w.appHost] : []),
      '--outbound-port', String(p.outbound),
      '--inbound-port', String(p.inbound),
      '--admin-port', String(p.admin),
      ...(w.probe ? ['--app-probe', w.probe] : []),
      ...link.discovery,
      '--metrics-port', String(p.metrics),
      '--access-log', link.accessLog ? 'stdout' : 'off',
      ...link.tracing,
      ...(options.tokenFile ? ['--token-file', options.tokenFile] : []),
    ],
    ...(options.env ? { env: options.env } : {}),
    cwd: options.root,
    ready: { url: `http://${HOST}:${p.admin}/ready` },
  };
}

/** The environment that points an app at its sidecar on 127.0.0.1 (@skiff/api's outboundProxyEnv). */
export function outboundProxyEnv(outboundPort: number): Record<string, string> {
  return proxyEnvFor(`http://${HOST}:${outboundPort}`);
}
