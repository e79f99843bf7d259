// Command-line flags of the sidecar. Every flag also reads an environment variable
// (SKIFF_<FLAG>), which is how compose files and Kubernetes manifests configure it.
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { DEFAULT_PROBE, discoveryFromFlags, DISCOVERY_HELP, identityFromFlags, parseAppProbe, type DiscoveryFlags, type IdentityFlags, type ProbeSettings, downstreamFromFlags, DOWNSTREAM_HELP, type DownstreamLimits } from '@skiff/dataplane';
import { parseDuration } from '@skiff/api';
import type { WorkloadInfo } from '@skiff/api';
import { parseAccessLogMode, parseTracingFlags, TRACING_HELP, type AccessLogMode, type TracingFlags } from '@skiff/telemetry';

export const HELP = `usage: skiff-proxy --service <name> --app-port <port> [options]

The Skiff sidecar: an outbound listener the app uses as its HTTP proxy, an inbound listener in
front of the app, and an admin port. Config comes from the control plane.

  --service <name>          service this workload belongs to (required)
  --namespace <ns>          namespace (default: default)
  --service-account <sa>    identity's service account (default: the service name)
  --label k=v               workload label, repeatable (e.g. --label version=v1)
  --id <id>                 proxy id (default: <service>-<version>.<namespace>)
  --service-port <port>     port callers use for the service (default: 9080)
  --service-port-name <n>   the port's name, as a Kubernetes Service names it: its prefix is the
                            protocol, as in Istio (http, http2, grpc, grpc-web: "grpc-ratings" is
                            gRPC). Unnamed, the protocol is sniffed per connection (default)
  --app-protocol <p>        the port's appProtocol (grpc, http2, kubernetes.io/h2c…); wins over
                            the name
  --protocol-detection-timeout <dur>
                            an unnamed or TCP port: how long a client that sends nothing first
                            (a server-first protocol) is waited for before it is carried as
                            plaintext TCP (Istio's meshConfig.protocolDetectionTimeout; 0s waits
                            for a first byte until the request-headers timeout, 10 s, closes
                            the connection) (default: 5s)
  --app-port <port>         where the local app listens (required)
  --app-host <host>         the app's address, when it is not on this host's loopback
                            (a WorkloadEntry's address; default: 127.0.0.1)
  --app-probe <probe>       how the sidecar checks its app: http:/<path> (healthy on 200-399),
                            tcp (a connect) or none (default: tcp). An unhealthy app's endpoint
                            is marked unhealthy in every proxy, so traffic goes to healthy ones
  --app-probe-period <dur>  time between probes (default: 500ms)
  --app-probe-timeout <dur> a probe that takes longer fails (default: 1s)
  --app-probe-failures <n>  failures in a row that make the app unhealthy (default: 2)
  --outbound-port <port>    outbound listener (default: 15001)
  --inbound-port <port>     inbound listener (default: 15006)
  --admin-port <port>       admin: /ready /config_dump /stats/prometheus (default: 15000)
  --metrics-port <port>     Prometheus metrics at /stats/prometheus (default: 15090, Istio's)
  --access-log stdout|off   one JSON line per request on stdout (default: off, as in Istio;
                            SKIFF_ACCESS_LOG=1 also turns it on)
  --control-plane <h:p>     discovery address (default: 127.0.0.1:15012)
  --bind <host>             address listeners bind (default: 127.0.0.1)
  --address <host>          address peers use to reach the inbound listener (default: --bind)
  --token-file <file>       bootstrap token for the CA (or SKIFF_BOOTSTRAP_TOKEN); with it the
                            proxy gets a SPIFFE certificate and speaks mTLS to peers
  --trust-domain <domain>   SPIFFE trust domain (default: cluster.local)
  --cert-ttl <duration>     certificate lifetime to ask the CA for (default: the CA's)
${DISCOVERY_HELP}
${DOWNSTREAM_HELP}
${TRACING_HELP}
  -h, --help                this text

Each flag can also be set as SKIFF_<FLAG> in the environment, e.g. SKIFF_APP_PORT=9080.`;

export interface ProxyFlags {
  node: WorkloadInfo;
  appPort: number;
  appHost: string;
  appProbe: ProbeSettings;
  outboundPort: number;
  inboundPort: number;
  adminPort: number;
  metricsPort: number;
  accessLog: AccessLogMode;
  tracing: TracingFlags;
  controlPlane: string;
  bind: string;
  identity?: IdentityFlags;
  discovery: DiscoveryFlags;
  downstream: Partial<DownstreamLimits>;
  protocolDetectionTimeoutMs?: number;
}

const env = (flag: string) => process.env[`SKIFF_${flag.toUpperCase().replace(/-/g, '_')}`];

function port(name: string, value: string | undefined, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new Error(`--${name} is required (see --help)`);
    return fallback;
  }
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name} must be a port number 0-65535, got "${value}"`);
  return n;
}

function probeDuration(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (error) {
    throw new Error(`--${name}: ${error instanceof Error ? error.message : String(error)} (e.g. 500ms, 2s)`);
  }
  if (ms < 10 || ms > 300_000) throw new Error(`--${name} must be between 10ms and 5m, got "${value}"`);
  return ms;
}

function appProbe(spec: string | undefined, period: string | undefined, timeout: string | undefined, failures: string | undefined): ProbeSettings {
  let probe;
  try {
    probe = parseAppProbe(spec ?? 'tcp');
  } catch (error) {
    throw new Error(`--app-probe: ${error instanceof Error ? error.message : String(error)}`);
  }
  const failureThreshold = failures === undefined ? DEFAULT_PROBE.failureThreshold : Number(failures);
  if (!Number.isInteger(failureThreshold) || failureThreshold < 1 || failureThreshold > 100) throw new Error(`--app-probe-failures must be a whole number 1-100, got "${failures}"`);
  return { ...DEFAULT_PROBE, probe, periodMs: probeDuration('app-probe-period', period, DEFAULT_PROBE.periodMs), timeoutMs: probeDuration('app-probe-timeout', timeout, DEFAULT_PROBE.timeoutMs), failureThreshold };
}

function appHost(value: string | undefined): string {
  if (value === undefined) return '127.0.0.1';
  if (isIP(value) === 0 && !/^[a-zA-Z0-9]([-a-zA-Z0-9.]{0,251}[a-zA-Z0-9])?$/.test(value)) throw new Error(`--app-host must be an IP address or a host name, got "${value}"`);
  return value;
}

export function parseProxyFlags(argv: string[]): ProxyFlags | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      service: { type: 'string' },
      namespace: { type: 'string' },
      'service-account': { type: 'string' },
      label: { type: 'string', multiple: true },
      id: { type: 'string' },
      'service-port': { type: 'string' },
      'service-port-name': { type: 'string' },
      'app-protocol': { type: 'string' },
      'protocol-detection-timeout': { type: 'string' },
      'app-port': { type: 'string' },
      'app-host': { type: 'string' },
      'app-probe': { type: 'string' },
      'app-probe-period': { type: 'string' },
      'app-probe-timeout': { type: 'string' },
      'app-probe-failures': { type: 'string' },
      'outbound-port': { type: 'string' },
      'inbound-port': { type: 'string' },
      'admin-port': { type: 'string' },
      'metrics-port': { type: 'string' },
      'access-log': { type: 'string' },
      'trace-endpoint': { type: 'string' },
      'trace-sampling': { type: 'string' },
      'trace-token-file': { type: 'string' },
      'control-plane': { type: 'string' },
      bind: { type: 'string' },
      address: { type: 'string' },
      'token-file': { type: 'string' },
      'trust-domain': { type: 'string' },
      'root-cert': { type: 'string' },
      'control-plane-san': { type: 'string' },
      'plaintext-discovery': { type: 'boolean' },
      'request-headers-timeout': { type: 'string' },
      'idle-timeout': { type: 'string' },
      'stream-idle-timeout': { type: 'string' },
      'max-connections': { type: 'string' },
      'cert-ttl': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const v = (name: keyof typeof values) => (values[name] as string | undefined) ?? env(name);
  const service = v('service');
  if (!service) throw new Error('--service is required (see --help)');
  const labels: Record<string, string> = {};
  const labelArgs = values.label ?? (env('labels')?.split(',').filter(Boolean) ?? []);
  for (const pair of labelArgs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--label must be key=value, got "${pair}"`);
    labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  labels['app'] ??= service;
  const namespace = v('namespace') ?? 'default';
  const bind = v('bind') ?? '127.0.0.1';
  const inboundPort = port('inbound-port', v('inbound-port'), 15006);
  return {
    node: {
      id: v('id') ?? `${service}${labels['version'] ? `-${labels['version']}` : ''}.${namespace}`,
      kind: 'sidecar',
      service,
      namespace,
      serviceAccount: v('service-account') ?? service,
      labels,
      address: v('address') ?? bind,
      inboundPort,
      servicePort: port('service-port', v('service-port'), 9080),
      ...(v('service-port-name') ? { servicePortName: v('service-port-name') } : {}),
      ...(v('app-protocol') ? { appProtocol: v('app-protocol') } : {}),
    },
    appPort: port('app-port', v('app-port')),
    appHost: appHost(v('app-host')),
    appProbe: appProbe(v('app-probe'), v('app-probe-period'), v('app-probe-timeout'), v('app-probe-failures')),
    outboundPort: port('outbound-port', v('outbound-port'), 15001),
    inboundPort,
    adminPort: port('admin-port', v('admin-port'), 15000),
    metricsPort: port('metrics-port', v('metrics-port'), 15090),
    accessLog: parseAccessLogMode(v('access-log')),
    tracing: parseTracingFlags(v('trace-endpoint'), v('trace-sampling'), process.env, v('trace-token-file')),
    controlPlane: v('control-plane') ?? '127.0.0.1:15012',
    bind,
    identity: identityFromFlags({ tokenFile: values['token-file'], trustDomain: values['trust-domain'], certTtl: values['cert-ttl'] }),
    discovery: discoveryFromFlags({ rootCert: values['root-cert'], controlPlaneSan: values['control-plane-san'], plaintext: values['plaintext-discovery'] }),
    ...(v('protocol-detection-timeout') !== undefined ? { protocolDetectionTimeoutMs: detectionTimeout(v('protocol-detection-timeout') as string) } : {}),
    downstream: downstreamFromFlags({ requestHeadersTimeout: v('request-headers-timeout'), idleTimeout: v('idle-timeout'), streamIdleTimeout: v('stream-idle-timeout'), maxConnections: v('max-connections') }),
  };
}

function detectionTimeout(value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new Error(`--protocol-detection-timeout: ${error instanceof Error ? error.message : String(error)}; write a duration such as 5s, or 0s to wait forever`);
  }
}
