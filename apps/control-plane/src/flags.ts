import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDuration } from '@skiff/api';
import { parseAccounts, type WorkloadAccount } from '@skiff/launcher';

function issueTokens(dir: string | undefined, accounts: string | undefined): { issueTokens?: { dir: string; accounts: WorkloadAccount[] } } {
  if (dir === undefined && accounts === undefined) return {};
  if (!dir || !accounts) throw new Error('--issue-tokens and --accounts go together: where to write tokens, and for which workloads');
  try {
    return { issueTokens: { dir, accounts: parseAccounts(accounts) } };
  } catch (error) {
    throw new Error(`--accounts: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export const HELP = `usage: skiff-control-plane [options]

The Skiff control plane: reads Istio YAML from a directory, validates it, watches it, and pushes
each proxy its config over the discovery stream.

  --config <dir>            directory of Istio YAML files (default: ./config)
  --config-source <source>  "file" (the --config directory) or "kubernetes": list and watch the
                            Istio custom resources and EndpointSlices through the API server,
                            write each resource's Accepted condition, check proxies' service-
                            account tokens with TokenReviews, and serve the injection webhook
                            (default: file)
  --kubeconfig <file>       with kubernetes: the API server and credentials (default: the pod's
                            service account in a cluster, else $KUBECONFIG or ~/.kube/config)
  --lease <ns>/<name>       with kubernetes: the Lease for leader election; only the leader writes
                            status (default: $POD_NAMESPACE or skiff-system, /skiff-control-plane)
  --webhook-port <port>     with kubernetes: the injection webhook's HTTPS port (default: 15017,
                            Istio's; "off" for none); its certificate comes from this CA, whose
                            root it publishes as skiff-sidecar-injector's caBundle
  --ca-secret <name>        with kubernetes: keep the CA root in this Secret in the control
                            plane's namespace, created by the first replica (instead of --ca-dir)
  --inject <mode>           with kubernetes: what the webhook injects, "explicit" or
                            "transparent" (with the iptables init container) (default: explicit)
  --proxy-image <image>     with kubernetes: the sidecar image the webhook injects
                            (default: skiff/proxy:0.1.0)
  --init-image <image>      with kubernetes: the init image (default: skiff/init:0.1.0)
  --max-config-file-size <size>  largest config file read, e.g. 4MiB, 512KiB (default: 4MiB); a
                            larger one is refused, naming the file, and its last good version stays
  --max-config-dir-size <size>   largest total of the config files in force (default: 32MiB)
  --config-settle <duration>     a changed file is read once it has not changed for this long,
                            so a file still being written is never applied half-written (default: 500ms)
  --xds-port <port>         discovery and CA (gRPC over mutual TLS; Istio's 15012) (default: 15012).
                            A proxy's stream is served only for the identity its certificate
                            proves, and it may announce only the services that identity may serve
  --plaintext-xds-port <port>  ALSO serve discovery in plaintext on this port (Istio's 15010), for
                            debugging only: nothing is verified there, and every connection is
                            logged as a warning (default: off)
  --discovery-san <names>   more DNS names for the discovery port's certificate, comma-separated
                            (it always has skiff-control-plane, which proxies verify by default)
  --registry-file <file>    keep the registry of endpoints here, so a restarted control plane
                            pushes the endpoints it knew until their proxies reconnect ("off":
                            none) (default: registry.json beside --ca-dir; off in kubernetes mode,
                            where endpoints come from EndpointSlices)
  --restore-window <dur>    how long restored endpoints wait for their proxies (default: 30s)
  --mesh-token-file <file>  the token writes need (POST /v1/traces, POST /debug/scenario),
                            created when missing ("off": take no writes) (default: mesh-token
                            beside --ca-dir, or in --issue-tokens' directory; off in kubernetes mode)
  --monitoring-port <port>  readiness and debug views (default: 15014)
  --bind <host>             address to bind (default: 127.0.0.1)
  --warmup-ms <ms>          after a start, proxies that already hold a config get no push until
                            every registration the control plane knew of is back (the saved
                            registry; in Kubernetes, a proxy at every ready endpoint), or this
                            long at most (default: 15000)
  --grace-ms <ms>           keep a disconnected proxy's endpoints this long (default: 1000)
  --trust-domain <domain>   SPIFFE trust domain of workload identities (default: cluster.local)
  --outbound-traffic-policy ALLOW_ANY|REGISTRY_ONLY
                            what sidecars do with a host no workload or ServiceEntry provides
                            (Istio's meshConfig.outboundTrafficPolicy.mode): pass it through, or
                            answer 502 (default: ALLOW_ANY). A ConfigMap istio in istio-system
                            in the config, with the mode in data.mesh, wins, and changes it live
  --ca-dir <dir>            where the CA keeps its root (created, key mode 0600) (default: .skiff/ca)
  --ca-cert <file>          use this root certificate instead (with --ca-key)
  --ca-key <file>           the root's private key (with --ca-cert)
  --tokens <file>           bootstrap tokens: {"tokens":[{"token","namespace","serviceAccount"}]}
                            a proxy must present one to get a certificate (default: none: CA refuses all)
  --issue-tokens <dir>      create a bootstrap token per --accounts entry in <dir>/tokens/<workload>.token
                            (kept across restarts) and use <dir>/tokens.json as --tokens; for
                            compose, where <dir> is a volume the sidecars mount read-only
  --accounts <list>         with --issue-tokens: <workload>/<namespace>/<serviceAccount>,...
  --cert-ttl <duration>     workload certificate lifetime when the proxy asks for none (default: 24h)
  --max-cert-ttl <duration> longest lifetime the CA grants (default: 24h)
  --dashboard-port <port>   the dashboard: live graph, config, proxies, traces (default: 20001,
                            Kiali's; "off" for none)
  --trace-forward <url>     also send the spans proxies send here on to this OTLP/HTTP collector
                            (e.g. http://jaeger:4318/v1/traces); the dashboard keeps them too
  --dashboard-dir <dir>     serve a built dashboard from here (default: build it from
                            apps/dashboard when run from a checkout, else dist/apps/dashboard)
  -h, --help                this text

Each flag can also be set as SKIFF_<FLAG> in the environment, e.g. SKIFF_CONFIG=/etc/skiff.`;

export interface KubernetesFlags {
  kubeconfig?: string;
  /** The control plane's own namespace ($POD_NAMESPACE): its Service, CA Secret and default Lease. */
  namespace: string;
  lease: { namespace: string; name: string };
  /** Who this replica is in the Lease: the pod's name in a cluster. */
  identity: string;
  /** undefined: no webhook. */
  webhookPort?: number;
  /** The Secret (in `namespace`) that holds the CA root; undefined: --ca-dir as elsewhere. */
  caSecret?: string;
  /** What the webhook injects (the rest of InjectOptions comes from the Service's name). */
  inject: { transparent: boolean; proxyImage: string; initImage: string };
}

export interface ControlPlaneFlags {
  configDir: string;
  /** Limits on the --config directory (see config/file-source.ts). */
  configLimits?: { maxFileBytes: number; maxDirBytes: number; settleMs: number };
  /** Set when the config comes from the Kubernetes API instead of --config. */
  kubernetes?: KubernetesFlags;
  xdsPort: number;
  /** Plaintext discovery for debugging (--plaintext-xds-port); undefined: none. */
  plaintextXdsPort?: number;
  discoverySans: string[];
  /** undefined: no registry kept on disk. */
  registryFile?: string;
  restoreWindowMs: number;
  /** undefined: the control plane takes no writes. */
  meshTokenFile?: string;
  monitoringPort: number;
  bind: string;
  warmupMs: number;
  graceMs: number;
  trustDomain: string;
  outboundTrafficPolicy: 'ALLOW_ANY' | 'REGISTRY_ONLY';
  caDir: string;
  caCert?: string;
  caKey?: string;
  tokens?: string;
  issueTokens?: { dir: string; accounts: WorkloadAccount[] };
  certTtlMs: number;
  maxCertTtlMs: number;
  /** undefined: no dashboard. */
  dashboardPort?: number;
  dashboardDir?: string;
  traceForward?: string;
}

const env = (flag: string) => process.env[`SKIFF_${flag.toUpperCase().replace(/-/g, '_')}`];

function int(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got "${value}"`);
  return n;
}

function httpUrl(name: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^https?:\/\/[^/]/.test(value)) throw new Error(`--${name} must be an http(s) URL such as http://jaeger:4318/v1/traces, got "${value}"`);
  return value;
}

/** "4MiB", "512KiB", "1GiB", "2000000" (bytes); MB/KB are read as MiB/KiB. */
export function parseSize(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const m = /^(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i.exec(value.trim());
  if (!m) throw new Error(`--${name} must be a size such as 4MiB, 512KiB or 1048576 (bytes), got "${value}"`);
  const unit = (m[2] ?? 'b').toLowerCase()[0] as 'b' | 'k' | 'm' | 'g';
  const bytes = Math.round(Number(m[1]) * { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[unit]);
  if (bytes < 1024) throw new Error(`--${name} must be at least 1KiB, got "${value}"`);
  return bytes;
}

function duration(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  try {
    const ms = parseDuration(value);
    if (ms < 1000) throw new Error('must be at least 1s');
    return ms;
  } catch (error) {
    throw new Error(`--${name}: ${error instanceof Error ? error.message : String(error)} (e.g. 24h, 30m, 90s)`);
  }
}

function meshTokenFile(value: string | undefined, issueTokens: string | undefined, caDir: string, kubernetes: boolean): { meshTokenFile?: string } {
  if (value === 'off' || (value === undefined && kubernetes)) return {};
  if (value !== undefined) return { meshTokenFile: value };
  return { meshTokenFile: issueTokens ? join(issueTokens, 'mesh-token') : join(dirname(caDir.replace(/\/+$/, '')), 'mesh-token') };
}

function registryFile(value: string | undefined, caDir: string, kubernetes: boolean): { registryFile?: string } {
  if (value === 'off' || (value === undefined && kubernetes)) return {};
  return { registryFile: value ?? join(dirname(caDir.replace(/\/+$/, '')), 'registry.json') };
}

function settle(value: string | undefined): number {
  if (value === undefined) return 500;
  try {
    const ms = parseDuration(value);
    if (ms > 60_000) throw new Error('must be at most 60s');
    return ms;
  } catch (error) {
    throw new Error(`--config-settle: ${error instanceof Error ? error.message : String(error)} (e.g. 500ms, 1s)`);
  }
}

function kubernetesFlags(source: string | undefined, k: Record<'kubeconfig' | 'lease' | 'webhook-port' | 'inject' | 'proxy-image' | 'init-image' | 'ca-secret', string | undefined>): { kubernetes?: KubernetesFlags } {
  if (source === undefined || source === 'file') {
    const stray = Object.entries(k).find(([, value]) => value !== undefined);
    if (stray) throw new Error(`--${stray[0]} needs --config-source kubernetes`);
    return {};
  }
  if (source !== 'kubernetes') throw new Error(`--config-source must be "file" or "kubernetes", got "${source}"`);
  const ownNamespace = process.env['POD_NAMESPACE'] || 'skiff-system';
  const [namespace, name, ...rest] = (k.lease ?? `${ownNamespace}/skiff-control-plane`).split('/');
  if (!namespace || !name || rest.length > 0) throw new Error(`--lease must be <namespace>/<name>, e.g. skiff-system/skiff-control-plane, got "${k.lease ?? ''}"`);
  if (k.inject !== undefined && k.inject !== 'explicit' && k.inject !== 'transparent') throw new Error(`--inject must be "explicit" or "transparent", got "${k.inject}"`);
  return {
    kubernetes: {
      ...(k.kubeconfig ? { kubeconfig: k.kubeconfig } : {}),
      namespace: ownNamespace,
      lease: { namespace, name },
      identity: process.env['POD_NAME'] || hostname(),
      ...(k['ca-secret'] ? { caSecret: k['ca-secret'] } : {}),
      ...(k['webhook-port'] === 'off' ? {} : { webhookPort: int('webhook-port', k['webhook-port'], 15017) }),
      inject: { transparent: k.inject === 'transparent', proxyImage: k['proxy-image'] ?? 'skiff/proxy:0.1.0', initImage: k['init-image'] ?? 'skiff/init:0.1.0' },
    },
  };
}

export function parseControlPlaneFlags(argv: string[]): ControlPlaneFlags | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      'max-config-file-size': { type: 'string' },
      'max-config-dir-size': { type: 'string' },
      'config-settle': { type: 'string' },
      'config-source': { type: 'string' },
      kubeconfig: { type: 'string' },
      lease: { type: 'string' },
      'webhook-port': { type: 'string' },
      inject: { type: 'string' },
      'ca-secret': { type: 'string' },
      'proxy-image': { type: 'string' },
      'init-image': { type: 'string' },
      'xds-port': { type: 'string' },
      'plaintext-xds-port': { type: 'string' },
      'discovery-san': { type: 'string' },
      'registry-file': { type: 'string' },
      'restore-window': { type: 'string' },
      'mesh-token-file': { type: 'string' },
      'monitoring-port': { type: 'string' },
      bind: { type: 'string' },
      'warmup-ms': { type: 'string' },
      'grace-ms': { type: 'string' },
      'trust-domain': { type: 'string' },
      'outbound-traffic-policy': { type: 'string' },
      'ca-dir': { type: 'string' },
      'ca-cert': { type: 'string' },
      'ca-key': { type: 'string' },
      tokens: { type: 'string' },
      'issue-tokens': { type: 'string' },
      accounts: { type: 'string' },
      'cert-ttl': { type: 'string' },
      'max-cert-ttl': { type: 'string' },
      'dashboard-port': { type: 'string' },
      'dashboard-dir': { type: 'string' },
      'trace-forward': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const v = (name: keyof typeof values) => (values[name] as string | undefined) ?? env(name);
  return {
    configDir: v('config') ?? 'config',
    configLimits: {
      maxFileBytes: parseSize('max-config-file-size', v('max-config-file-size'), 4 * 1024 * 1024),
      maxDirBytes: parseSize('max-config-dir-size', v('max-config-dir-size'), 32 * 1024 * 1024),
      settleMs: settle(v('config-settle')),
    },
    ...kubernetesFlags(v('config-source'), { kubeconfig: v('kubeconfig'), lease: v('lease'), 'webhook-port': v('webhook-port'), inject: v('inject'), 'proxy-image': v('proxy-image'), 'init-image': v('init-image'), 'ca-secret': v('ca-secret') }),
    xdsPort: int('xds-port', v('xds-port'), 15012),
    ...(v('plaintext-xds-port') !== undefined && v('plaintext-xds-port') !== 'off' ? { plaintextXdsPort: int('plaintext-xds-port', v('plaintext-xds-port'), 15010) } : {}),
    discoverySans: (v('discovery-san') ?? '').split(',').map((n) => n.trim()).filter(Boolean),
    ...registryFile(v('registry-file'), v('ca-dir') ?? '.skiff/ca', v('config-source') === 'kubernetes'),
    restoreWindowMs: duration('restore-window', v('restore-window'), 30_000),
    ...meshTokenFile(v('mesh-token-file'), v('issue-tokens'), v('ca-dir') ?? '.skiff/ca', v('config-source') === 'kubernetes'),
    monitoringPort: int('monitoring-port', v('monitoring-port'), 15014),
    bind: v('bind') ?? '127.0.0.1',
    warmupMs: int('warmup-ms', v('warmup-ms'), 15_000),
    graceMs: int('grace-ms', v('grace-ms'), 1_000),
    trustDomain: v('trust-domain') ?? 'cluster.local',
    outboundTrafficPolicy: outboundTrafficPolicy(v('outbound-traffic-policy')),
    caDir: v('ca-dir') ?? '.skiff/ca',
    caCert: v('ca-cert'),
    caKey: v('ca-key'),
    tokens: v('tokens'),
    ...issueTokens(v('issue-tokens'), v('accounts')),
    certTtlMs: duration('cert-ttl', v('cert-ttl'), 86_400_000),
    maxCertTtlMs: duration('max-cert-ttl', v('max-cert-ttl'), 86_400_000),
    ...(v('dashboard-port') === 'off' ? {} : { dashboardPort: int('dashboard-port', v('dashboard-port'), 20001) }),
    dashboardDir: v('dashboard-dir'),
    traceForward: httpUrl('trace-forward', v('trace-forward')),
  };
}

function outboundTrafficPolicy(value: string | undefined): 'ALLOW_ANY' | 'REGISTRY_ONLY' {
  if (value === undefined || value === 'ALLOW_ANY' || value === 'REGISTRY_ONLY') return value ?? 'ALLOW_ANY';
  throw new Error(`--outbound-traffic-policy must be ALLOW_ANY or REGISTRY_ONLY, got ${JSON.stringify(value)}`);
}
