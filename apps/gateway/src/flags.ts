// Command-line flags of the ingress gateway (SKIFF_<FLAG> in the environment works too).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { discoveryFromFlags, DISCOVERY_HELP, identityFromFlags, type DiscoveryFlags, type IdentityFlags, downstreamFromFlags, DOWNSTREAM_HELP, type DownstreamLimits } from '@skiff/dataplane';
import type { WorkloadInfo } from '@skiff/api';
import { parseAccessLogMode, parseTracingFlags, TRACING_HELP, type AccessLogMode, type TracingFlags } from '@skiff/telemetry';

export const HELP = `usage: skiff-gateway [options]

The Skiff ingress gateway: the sidecar's engine facing outside traffic, routed by Gateway and
VirtualService resources bound to it. Config comes from the control plane.

  --listen <local>:<server>  bind local port <local> for Gateway server port <server>,
                             repeatable (default: 8080:80, as Istio maps 80 to 8080)
  --name <name>              gateway workload name (default: istio-ingressgateway)
  --namespace <ns>           namespace (default: istio-system)
  --label k=v                workload label, repeatable (default: istio=ingressgateway)
  --admin-port <port>        admin: /ready /config_dump /stats/prometheus (default: 15000)
  --metrics-port <port>      Prometheus metrics at /stats/prometheus (default: 15090, Istio's)
  --access-log stdout|off    one JSON line per request on stdout (default: off, as in Istio;
                             SKIFF_ACCESS_LOG=1 also turns it on)
  --control-plane <h:p>      discovery address (default: 127.0.0.1:15012)
  --bind <host>              address listeners bind (default: 127.0.0.1)
  --address <host>           address the control plane reaches the admin port at (default: --bind)
  --credentials-dir <dir>    where tls.credentialName: foo finds foo/tls.crt, foo/tls.key and
                             foo/ca.crt (default: .skiff/credentials)
  --token-file <file>       bootstrap token for the CA (or SKIFF_BOOTSTRAP_TOKEN); with it the
                            proxy gets a SPIFFE certificate and speaks mTLS to peers
  --trust-domain <domain>   SPIFFE trust domain (default: cluster.local)
  --cert-ttl <duration>     certificate lifetime to ask the CA for (default: the CA's)
${DISCOVERY_HELP}
${DOWNSTREAM_HELP}
${TRACING_HELP}
  -h, --help                 this text`;

export interface GatewayFlags {
  node: WorkloadInfo;
  listeners: Array<{ port: number; serverPort: number }>;
  adminPort: number;
  metricsPort: number;
  accessLog: AccessLogMode;
  tracing: TracingFlags;
  controlPlane: string;
  bind: string;
  /** Absolute: Gateway TLS `credentialName` directories live here. */
  credentialsDir: string;
  identity?: IdentityFlags;
  discovery: DiscoveryFlags;
  downstream: Partial<DownstreamLimits>;
}

const env = (flag: string) => process.env[`SKIFF_${flag.toUpperCase().replace(/-/g, '_')}`];

function portNumber(what: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${what} must be a port number 0-65535, got "${value}"`);
  return n;
}

export function parseGatewayFlags(argv: string[]): GatewayFlags | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      listen: { type: 'string', multiple: true },
      name: { type: 'string' },
      namespace: { type: 'string' },
      label: { type: 'string', multiple: true },
      'admin-port': { type: 'string' },
      'metrics-port': { type: 'string' },
      'access-log': { type: 'string' },
      'trace-endpoint': { type: 'string' },
      'trace-sampling': { type: 'string' },
      'trace-token-file': { type: 'string' },
      'control-plane': { type: 'string' },
      bind: { type: 'string' },
      address: { type: 'string' },
      'credentials-dir': { type: 'string' },
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
  const listenArgs = values.listen ?? env('listen')?.split(',') ?? ['8080:80'];
  const listeners = listenArgs.map((spec) => {
    const [local, server] = spec.split(':');
    if (local === undefined || server === undefined) throw new Error(`--listen must be <local port>:<gateway server port>, got "${spec}"`);
    return { port: portNumber('--listen local port', local), serverPort: portNumber('--listen server port', server) };
  });
  const labels: Record<string, string> = {};
  for (const pair of values.label ?? env('labels')?.split(',').filter(Boolean) ?? ['istio=ingressgateway']) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--label must be key=value, got "${pair}"`);
    labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const name = values.name ?? env('name') ?? 'istio-ingressgateway';
  const namespace = values.namespace ?? env('namespace') ?? 'istio-system';
  const bind = values.bind ?? env('bind') ?? '127.0.0.1';
  return {
    node: { id: `${name}.${namespace}`, kind: 'gateway', service: name, namespace, serviceAccount: `${name}-service-account`, labels, address: values.address ?? env('address') ?? bind, inboundPort: 0, servicePort: 0 },
    listeners,
    adminPort: portNumber('--admin-port', values['admin-port'] ?? env('admin-port') ?? '15000'),
    metricsPort: portNumber('--metrics-port', values['metrics-port'] ?? env('metrics-port') ?? '15090'),
    accessLog: parseAccessLogMode(values['access-log'] ?? env('access-log')),
    tracing: parseTracingFlags(values['trace-endpoint'] ?? env('trace-endpoint'), values['trace-sampling'] ?? env('trace-sampling'), process.env, values['trace-token-file'] ?? env('trace-token-file')),
    controlPlane: values['control-plane'] ?? env('control-plane') ?? '127.0.0.1:15012',
    bind,
    credentialsDir: resolve(values['credentials-dir'] ?? env('credentials-dir') ?? '.skiff/credentials'),
    identity: identityFromFlags({ tokenFile: values['token-file'], trustDomain: values['trust-domain'], certTtl: values['cert-ttl'] }),
    discovery: discoveryFromFlags({ rootCert: values['root-cert'], controlPlaneSan: values['control-plane-san'], plaintext: values['plaintext-discovery'] }),
    downstream: downstreamFromFlags({ requestHeadersTimeout: v('request-headers-timeout'), idleTimeout: v('idle-timeout'), streamIdleTimeout: v('stream-idle-timeout'), maxConnections: v('max-connections') }),
  };
}
