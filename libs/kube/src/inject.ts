// Sidecar injection, as `istioctl kube-inject` does it: every pod template in a set of
// Kubernetes manifests gets Skiff's sidecar container (and, for transparent interception, the
// init container that installs the iptables rules). Pure: YAML text in, YAML text out, so the
// CLI and a mutating webhook can share it. Comments and the order of documents are kept.
import { Document, isMap, isSeq, parseAllDocuments, YAMLMap } from 'yaml';

export interface InjectOptions {
  /** The control plane's discovery address, as pods dial it. */
  controlPlane: string;
  /** The sidecar image, e.g. skiff/proxy:0.1.0. */
  proxyImage: string;
  /** The init image (iptables) for transparent interception. */
  initImage: string;
  /** true: an init container redirects the pod's TCP (istio-init); false: apps use the sidecar as HTTP proxy. */
  transparent: boolean;
  /** The port the app listens on behind the sidecar (default: the first container's first containerPort, else 9080). */
  appPort?: number;
}

/** What injectPod did to one pod: `report` reads e.g. "Deployment/reviews-v1: injected (...)". */
export interface PodInjection {
  injected: boolean;
  report: string;
}

/** A pod that cannot take the sidecar as written; the message names the pod and what to change. */
export class NotInjectable extends Error {
  override readonly name = 'NotInjectable';
}

export interface InjectResult {
  yaml: string;
  /** What was injected or left alone, per workload, e.g. "Deployment/reviews-v1: injected". */
  report: string[];
}

/** Kinds whose pods come from a template at spec.template (Pod itself has its spec at spec). */
const TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'ReplicationController']);
export const STATUS_ANNOTATION = 'skiff.dev/status';
export const INJECT_ANNOTATION = 'sidecar.istio.io/inject';
/** istio-proxy's uid: the init container's rules let this user's traffic through, or it would loop. */
export const PROXY_UID = 1337;
export const TOKEN_PATH = '/var/run/secrets/tokens/skiff-token';

/** The pod template's path in a resource of this kind, or undefined when it has no pods. */
export function podPath(kind: string): string[] | undefined {
  if (kind === 'Pod') return [];
  if (kind === 'CronJob') return ['spec', 'jobTemplate', 'spec', 'template'];
  return TEMPLATE_KINDS.has(kind) ? ['spec', 'template'] : undefined;
}

/**
 * The name the pod gives the app's port (containers[].ports[].name where containerPort is the app
 * port): Istio reads a port's protocol from its name ("grpc-ratings" is gRPC). The webhook sees the
 * pod, not the Service, so the container's port name stands in for the Service port's.
 */
function appPortName(spec: YAMLMap, appPort: number): string | undefined {
  const containers = spec.get('containers', true);
  for (const container of isSeq(containers) ? containers.items : []) {
    const ports = isMap(container) ? container.get('ports', true) : undefined;
    for (const port of isSeq(ports) ? ports.items : []) {
      if (!isMap(port) || Number(port.get('containerPort')) !== appPort) continue;
      const name = port.get('name');
      if (typeof name === 'string' && name.length > 0) return name;
    }
  }
  return undefined;
}

/**
 * The app's port when none is given: the first port the pod's first container declares, as
 * Istio's injector reads containerPorts for the ports to capture (tcp-echo's 9000, Bookinfo's 9080).
 */
function declaredAppPort(spec: YAMLMap): number | undefined {
  const containers = spec.get('containers', true);
  const first = isSeq(containers) ? containers.items[0] : undefined;
  const ports = isMap(first) ? first.get('ports', true) : undefined;
  const port = isSeq(ports) && isMap(ports.items[0]) ? Number(ports.items[0].get('containerPort')) : NaN;
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
}

function sidecar(options: InjectOptions, appPort: number, service: string, version: string | undefined, portName: string | undefined): Record<string, unknown> {
  const fieldRef = (fieldPath: string) => ({ valueFrom: { fieldRef: { fieldPath } } });
  return {
    name: 'skiff-proxy',
    image: options.proxyImage,
    args: ['--bind', '0.0.0.0'],
    env: [
      { name: 'POD_NAME', ...fieldRef('metadata.name') },
      { name: 'POD_NAMESPACE', ...fieldRef('metadata.namespace') },
      { name: 'SKIFF_ADDRESS', ...fieldRef('status.podIP') },
      { name: 'SKIFF_SERVICE_ACCOUNT', ...fieldRef('spec.serviceAccountName') },
      { name: 'SKIFF_ID', value: '$(POD_NAME).$(POD_NAMESPACE)' },
      { name: 'SKIFF_NAMESPACE', value: '$(POD_NAMESPACE)' },
      { name: 'SKIFF_SERVICE', value: service },
      ...(version ? [{ name: 'SKIFF_LABELS', value: `version=${version}` }] : []),
      { name: 'SKIFF_APP_PORT', value: String(appPort) },
      // The port callers name: the app's own, as a Service's port and targetPort are in Istio's samples (the proxy's default is 9080).
      ...(appPort !== 9080 ? [{ name: 'SKIFF_SERVICE_PORT', value: String(appPort) }] : []),
      ...(portName ? [{ name: 'SKIFF_SERVICE_PORT_NAME', value: portName }] : []),
      { name: 'SKIFF_CONTROL_PLANE', value: options.controlPlane },
      { name: 'SKIFF_TOKEN_FILE', value: TOKEN_PATH },
      { name: 'SKIFF_ROOT_CERT', value: `${ROOT_CERT_DIR}/root-cert.pem` },
    ],
    ports: [
      { name: 'http-proxy-out', containerPort: 15001 },
      { name: 'http-proxy-in', containerPort: 15006 },
      { name: 'http-admin', containerPort: 15000 },
      { name: 'http-envoy-prom', containerPort: 15090 },
    ],
    readinessProbe: { httpGet: { path: '/ready', port: 15000 }, periodSeconds: 2, failureThreshold: 30 },
    resources: { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '256Mi' } },
    securityContext: { runAsUser: PROXY_UID, runAsGroup: PROXY_UID, runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
    volumeMounts: [
      { name: 'skiff-token', mountPath: '/var/run/secrets/tokens', readOnly: true },
      { name: 'istio-ca-root-cert', mountPath: ROOT_CERT_DIR, readOnly: true },
    ],
  };
}

function initContainer(options: InjectOptions): Record<string, unknown> {
  return {
    name: 'skiff-init',
    image: options.initImage,
    env: [{ name: 'SKIFF_PROXY_UID', value: String(PROXY_UID) }],
    resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
    // Only what iptables needs, as istio-init: root in the pod's network namespace, NET_ADMIN and NET_RAW.
    securityContext: { runAsUser: 0, runAsNonRoot: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] } },
  };
}

/** The audience of the token the sidecar shows the CA; the CA's TokenReview asks for it. */
export const TOKEN_AUDIENCE = 'skiff';

/** The projected service-account token the sidecar shows the CA (checked with a TokenReview). */
const TOKEN_VOLUME = { name: 'skiff-token', projected: { sources: [{ serviceAccountToken: { path: 'skiff-token', audience: TOKEN_AUDIENCE, expirationSeconds: 3600 } }] } };

/** Where the sidecar finds the mesh root, as Istio's sidecars do. */
export const ROOT_CERT_DIR = '/var/run/secrets/istio';

/**
 * The mesh root, from the ConfigMap the control plane publishes in the pod's namespace (as istiod
 * does). Optional: a pod created before the ConfigMap exists starts anyway, its sidecar waits for
 * the file, and the kubelet fills the volume in once the ConfigMap appears.
 */
const ROOT_CERT_VOLUME = { name: 'istio-ca-root-cert', configMap: { name: 'istio-ca-root-cert', optional: true } };

function appendTo(map: YAMLMap, key: string, doc: Document, items: unknown[]): void {
  const existing = map.get(key, true);
  if (isSeq(existing)) for (const item of items) existing.add(doc.createNode(item));
  else map.set(key, doc.createNode(items));
}

function injectPod(doc: Document, pod: YAMLMap, name: string, options: InjectOptions): PodInjection {
  const skipped = (report: string): PodInjection => ({ injected: false, report });
  const metadata = pod.get('metadata', true);
  const labels = isMap(metadata) ? metadata.get('labels', true) : undefined;
  const annotations = isMap(metadata) ? metadata.get('annotations', true) : undefined;
  const label = (key: string) => (isMap(labels) ? labels.get(key) : undefined);
  // Istio honours the label (which takes precedence) and the older annotation.
  if (String(label(INJECT_ANNOTATION)) === 'false') return skipped(`${name}: skipped (label ${INJECT_ANNOTATION}: "false")`);
  if (isMap(annotations) && String(annotations.get(INJECT_ANNOTATION)) === 'false') return skipped(`${name}: skipped (${INJECT_ANNOTATION}: "false")`);
  if (isMap(annotations) && annotations.has(STATUS_ANNOTATION)) return skipped(`${name}: already injected`);
  const spec = pod.get('spec', true);
  if (!isMap(spec) || !isSeq(spec.get('containers', true))) throw new NotInjectable(`${name}: the pod has no spec.containers`);
  if (spec.get('hostNetwork') === true) return skipped(`${name}: skipped (hostNetwork: the sidecar would take the node's ports)`);
  const app = label('app');
  if (typeof app !== 'string') throw new NotInjectable(`${name}: the pod template has no "app" label; the sidecar needs it to know which service it serves (add metadata.labels.app)`);
  const version = label('version');
  if (!options.transparent) {
    // Explicit-proxy mode: the apps send their calls through the sidecar.
    const containers = spec.get('containers', true);
    for (const container of isSeq(containers) ? containers.items : []) {
      if (isMap(container)) appendTo(container, 'env', doc, [{ name: 'SKIFF_OUTBOUND_PROXY', value: 'http://127.0.0.1:15001' }]);
    }
  }
  const appPort = options.appPort ?? declaredAppPort(spec) ?? 9080;
  const portName = appPortName(spec, appPort);
  appendTo(spec, 'containers', doc, [sidecar(options, appPort, app, typeof version === 'string' ? version : undefined, portName)]);
  if (options.transparent) appendTo(spec, 'initContainers', doc, [initContainer(options)]);
  appendTo(spec, 'volumes', doc, [TOKEN_VOLUME, ROOT_CERT_VOLUME]);
  const status = JSON.stringify({ version: 1, mode: options.transparent ? 'transparent' : 'explicit', containers: ['skiff-proxy'], initContainers: options.transparent ? ['skiff-init'] : [] });
  if (isMap(metadata)) {
    if (isMap(annotations)) annotations.set(STATUS_ANNOTATION, status);
    else metadata.set('annotations', doc.createNode({ [STATUS_ANNOTATION]: status }));
  } else pod.set('metadata', doc.createNode({ annotations: { [STATUS_ANNOTATION]: status } }));
  return { injected: true, report: `${name}: injected (${options.transparent ? 'sidecar + init container' : 'sidecar, explicit proxy'})` };
}

/**
 * The same injection for a pod given as a plain object (as a mutating webhook receives it):
 * returns an injected copy; the input is left untouched. Throws NotInjectable as injectManifests does.
 */
export function injectPodObject(pod: Record<string, unknown>, name: string, options: InjectOptions): PodInjection & { pod: Record<string, unknown> } {
  // Going through a yaml Document keeps one implementation for the CLI and the webhook.
  const doc = new Document(pod, { aliasDuplicateObjects: false });
  if (!isMap(doc.contents)) throw new NotInjectable(`${name}: the pod is not an object`);
  const result = injectPod(doc, doc.contents, name, options);
  return { ...result, pod: doc.toJS() as Record<string, unknown> };
}

export function injectManifests(source: string, text: string, options: InjectOptions): InjectResult {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new Error(`${source}: not YAML documents`);
  const report: string[] = [];
  for (const [index, doc] of docs.entries()) {
    if (doc.errors.length > 0) throw new Error(`${source}: document ${index + 1}: ${doc.errors[0]?.message ?? 'YAML error'}`);
    if (!isMap(doc.contents)) continue;
    const kind = String(doc.get('kind') ?? '');
    const name = `${kind}/${String(doc.getIn(['metadata', 'name']) ?? `#${index + 1}`)}`;
    const path = podPath(kind);
    if (path === undefined) continue;
    const pod = path.length === 0 ? doc.contents : doc.getIn(path, true);
    if (!isMap(pod)) throw new Error(`${source}: ${name} has no pod template at ${path.join('.')}`);
    report.push(injectPod(doc, pod, name, options).report);
  }
  return { yaml: docs.map((d) => d.toString()).join(''), report };
}
