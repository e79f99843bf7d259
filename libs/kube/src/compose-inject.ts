// `skiff inject -f docker-compose.yaml`: a user's compose file with the mesh added, as
// `skiff inject` does for Kubernetes manifests. Each service gets a sidecar service sharing its
// network namespace (network_mode: service:<name>, as a pod's containers share one) and its
// outbound proxy settings; the control plane (with the CA and one bootstrap token per workload),
// the ingress gateway and their volumes are added, and the config directory is mounted. The
// file's comments and everything else in it are kept.
import { isMap, isScalar, isSeq, parseDocument, YAMLMap, type Document } from 'yaml';
import { isDnsLabel, outboundProxyEnv } from '@skiff/api';

export interface ComposeInjectOptions {
  proxyImage: string;
  controlPlaneImage: string;
  gatewayImage: string;
  /** The Istio YAML directory, as the compose file mounts it (relative to the compose file, or absolute). */
  configDir: string;
}

export interface ComposeInjectResult {
  yaml: string;
  /** One line per service: injected (as which workload, on which port) or why not. */
  report: string[];
}

const PROXY_PORT_OUTBOUND = 15001;
const CONTROL_PLANE = 'skiff-control-plane';
const GATEWAY = 'skiff-gateway';
const TOKENS_VOLUME = 'skiff-tokens';
const CA_VOLUME = 'skiff-ca';

/** Labels in either compose spelling: a map, or a list of "key=value". */
function labelsOf(service: YAMLMap): Record<string, string> {
  const node = service.get('labels', true);
  const out: Record<string, string> = {};
  if (isMap(node)) for (const pair of node.items) out[String(isScalar(pair.key) ? pair.key.value : pair.key)] = String(isScalar(pair.value) ? pair.value.value : pair.value);
  if (isSeq(node)) {
    for (const item of node.items) {
      const text = String(isScalar(item) ? item.value : item);
      const eq = text.indexOf('=');
      if (eq > 0) out[text.slice(0, eq)] = text.slice(eq + 1);
    }
  }
  return out;
}

/** The port the app listens on: label skiff.dev/port, else the first `expose`, else the container side of the first `ports`. */
function appPortOf(service: YAMLMap, labels: Record<string, string>): number | undefined {
  const candidates: unknown[] = [labels['skiff.dev/port']];
  const expose = service.get('expose', true);
  if (isSeq(expose) && expose.items[0] !== undefined) candidates.push(isScalar(expose.items[0]) ? expose.items[0].value : undefined);
  const ports = service.get('ports', true);
  if (isSeq(ports) && ports.items[0] !== undefined) {
    const first = ports.items[0];
    if (isScalar(first)) candidates.push(String(first.value).split('/')[0]?.split(':').pop());
    else if (isMap(first)) candidates.push(first.get('target'));
  }
  for (const c of candidates) {
    if (c === undefined || c === null) continue;
    const n = Number(String(c).split('-')[0]);
    if (Number.isInteger(n) && n > 0 && n < 65536) return n;
  }
  return undefined;
}

/** Adds variables to `environment`, map or list, keeping what the user set. */
function addEnvironment(doc: Document, service: YAMLMap, vars: Record<string, string>): void {
  const env = service.get('environment', true);
  if (isSeq(env)) {
    const set = new Set(env.items.map((i) => String(isScalar(i) ? i.value : i).split('=')[0]));
    for (const [k, v] of Object.entries(vars)) if (!set.has(k)) env.add(doc.createNode(`${k}=${v}`));
    return;
  }
  if (isMap(env)) {
    for (const [k, v] of Object.entries(vars)) if (!env.has(k)) env.set(k, v);
    return;
  }
  service.set('environment', doc.createNode(vars));
}

const sidecarCommonEnv = {
  SKIFF_CONTROL_PLANE: `${CONTROL_PLANE}:15012`,
  SKIFF_ROOT_CERT: '/var/run/skiff/root-cert.pem',
  SKIFF_BIND: '0.0.0.0',
  SKIFF_TRACE_ENDPOINT: `http://${CONTROL_PLANE}:15014/v1/traces`,
  SKIFF_TRACE_TOKEN_FILE: '/var/run/skiff/mesh-token',
};

export function injectCompose(file: string, text: string, options: ComposeInjectOptions): ComposeInjectResult {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) throw new Error(`${file}: YAML syntax error: ${doc.errors[0]?.message.split('\n')[0]}`);
  const services = doc.get('services', true);
  if (!isMap(services)) throw new Error(`${file}: no "services:" mapping; is this a compose file?`);
  const report: string[] = [];
  const accounts: string[] = ['istio-ingressgateway/istio-system/istio-ingressgateway-service-account/istio-ingressgateway'];
  const names = services.items.map((p) => String(isScalar(p.key) ? p.key.value : p.key));
  for (const taken of [CONTROL_PLANE, GATEWAY]) if (names.includes(taken)) throw new Error(`${file}: already has a service named ${taken}; was it injected before? inject the original file`);
  const added: Array<[string, unknown]> = [];
  for (const name of names) {
    const service = services.get(name, true);
    if (!isMap(service)) continue;
    const labels = labelsOf(service);
    const networkMode = service.get('network_mode');
    if (labels['skiff.dev/inject'] === 'false') {
      report.push(`${name}: left alone (label skiff.dev/inject: "false")`);
      continue;
    }
    if (typeof networkMode === 'string' && networkMode !== 'bridge') {
      report.push(`${name}: left alone (network_mode: ${networkMode}; its sidecar would have no network namespace of its own to share)`);
      continue;
    }
    if (names.includes(`${name}-proxy`)) throw new Error(`${file}: services ${name} and ${name}-proxy both exist; was it injected before? inject the original file`);
    if (!isDnsLabel(name)) {
      report.push(`${name}: not injected: a workload name must be a DNS label (lowercase letters, digits, "-"); rename the service`);
      continue;
    }
    const port = appPortOf(service, labels);
    if (port === undefined) {
      report.push(`${name}: not injected: it says no port; add "expose: [<port>]" or the label skiff.dev/port`);
      continue;
    }
    const app = labels['app'] ?? name;
    const version = labels['version'] ?? 'v1';
    const serviceAccount = labels['skiff.dev/service-account'] ?? app;
    if (!isDnsLabel(app) || !isDnsLabel(serviceAccount)) {
      report.push(`${name}: not injected: its app label and service account must be DNS labels, got app=${app}, service account ${serviceAccount}`);
      continue;
    }
    addEnvironment(doc, service, outboundProxyEnv(`http://127.0.0.1:${PROXY_PORT_OUTBOUND}`));
    accounts.push(`${name}/default/${serviceAccount}/${app}`);
    const portName = labels['skiff.dev/port-name'];
    added.push([
      `${name}-proxy`,
      {
        image: options.proxyImage,
        network_mode: `service:${name}`,
        environment: {
          ...sidecarCommonEnv,
          SKIFF_SERVICE: app,
          ...(serviceAccount !== app ? { SKIFF_SERVICE_ACCOUNT: serviceAccount } : {}),
          SKIFF_ID: `${name}.default`,
          SKIFF_LABELS: `version=${version}`,
          SKIFF_ADDRESS: name,
          SKIFF_TOKEN_FILE: `/var/run/skiff/tokens/${name}.token`,
          SKIFF_APP_PORT: String(port),
          SKIFF_SERVICE_PORT: String(port),
          ...(portName ? { SKIFF_SERVICE_PORT_NAME: portName } : {}),
          SKIFF_APP_PROBE: 'tcp',
        },
        volumes: [`${TOKENS_VOLUME}:/var/run/skiff:ro`],
        depends_on: { [CONTROL_PLANE]: { condition: 'service_healthy' }, [name]: { condition: 'service_started' } },
        restart: 'on-failure',
      },
    ]);
    report.push(`${name}: injected as workload ${name}.default (service ${app}, version ${version}, port ${port})`);
  }
  for (const [name, value] of added) services.set(name, doc.createNode(value));
  services.set(
    CONTROL_PLANE,
    doc.createNode({
      image: options.controlPlaneImage,
      command: ['node', '/app/main.js', '--bind=0.0.0.0', '--config=/etc/skiff/config', '--dashboard-dir=/app/dashboard', '--ca-dir=/var/lib/skiff/ca', '--issue-tokens=/var/run/skiff', `--accounts=${accounts.join(',')}`],
      volumes: [`${options.configDir}:/etc/skiff/config:ro`, `${CA_VOLUME}:/var/lib/skiff`, `${TOKENS_VOLUME}:/var/run/skiff`],
      healthcheck: { test: ['CMD', 'node', '/app/healthcheck.cjs', '15014', '/ready'], interval: '2s', retries: 30 },
      ports: ['127.0.0.1:${SKIFF_MONITORING_PORT:-15014}:15014', '127.0.0.1:${SKIFF_DASHBOARD_PORT:-20001}:20001'],
    }),
  );
  services.set(
    GATEWAY,
    doc.createNode({
      image: options.gatewayImage,
      hostname: 'istio-ingressgateway',
      networks: { default: { aliases: ['istio-ingressgateway'] } },
      environment: { ...sidecarCommonEnv, SKIFF_TOKEN_FILE: '/var/run/skiff/tokens/istio-ingressgateway.token', SKIFF_ADDRESS: 'istio-ingressgateway', SKIFF_LISTEN: '8080:80' },
      volumes: [`${TOKENS_VOLUME}:/var/run/skiff:ro`],
      depends_on: { [CONTROL_PLANE]: { condition: 'service_healthy' } },
      ports: ['127.0.0.1:${SKIFF_GATEWAY_PORT:-8080}:8080'],
      restart: 'on-failure',
    }),
  );
  let volumes = doc.get('volumes', true);
  if (!isMap(volumes)) {
    volumes = doc.createNode({});
    doc.set('volumes', volumes);
  }
  for (const v of [CA_VOLUME, TOKENS_VOLUME]) if (!(volumes as YAMLMap).has(v)) (volumes as YAMLMap).set(v, doc.createNode({}));
  return { yaml: doc.toString({ lineWidth: 0 }), report };
}

/** A compose file, not Kubernetes manifests: a top-level services mapping and no kind. */
export function looksLikeCompose(text: string): boolean {
  try {
    const doc = parseDocument(text);
    return isMap(doc.get('services', true)) && doc.get('kind') === undefined;
  } catch {
    return false;
  }
}
