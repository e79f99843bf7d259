import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { Deployment, DaemonSet, StatefulSet } from 'kubernetes-models/apps/v1';
import { CronJob, Job } from 'kubernetes-models/batch/v1';
import { Pod, Service } from 'kubernetes-models/v1';
import { injectManifests, STATUS_ANNOTATION, TOKEN_PATH, type InjectOptions } from './inject.js';

const options: InjectOptions = { controlPlane: 'skiff-control-plane.skiff-system:15012', proxyImage: 'skiff/proxy:0.1.0', initImage: 'skiff/init:0.1.0', transparent: false };

const REVIEWS = `# reviews v2, as a user writes it
apiVersion: apps/v1
kind: Deployment
metadata:
  name: reviews-v2
  labels: { app: reviews, version: v2 }
spec:
  replicas: 1
  selector:
    matchLabels: { app: reviews, version: v2 }
  template:
    metadata:
      labels: { app: reviews, version: v2 }
    spec:
      serviceAccountName: reviews
      containers:
        - name: reviews
          image: skiff/reviews:dev
          env:
            - { name: SERVICE_VERSION, value: v2 }
          ports:
            - containerPort: 9080 # the app's port, behind the sidecar
---
apiVersion: v1
kind: Service
metadata:
  name: reviews
spec:
  selector: { app: reviews }
  ports:
    - { name: http, port: 9080 }
`;

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const docs = (yaml: string): Obj[] => parseAllDocuments(yaml as string).map((d) => (d as { toJS(): Obj }).toJS());

/** Validates a manifest with the Kubernetes OpenAPI schemas (kubernetes-models); throws what is wrong. */
function validate(manifest: Obj): void {
  const models: Record<string, unknown> = { Deployment, StatefulSet, DaemonSet, Job, CronJob, Pod, Service };
  const Model = models[manifest['kind'] as string] as (new (data: Obj) => { validate(): void }) | undefined;
  assert.ok(Model, `no schema for ${manifest['kind']}`);
  new Model(manifest).validate();
}

test('the schema check itself refuses a broken pod (so a pass below means something)', () => {
  const [deployment] = docs(injectManifests('reviews.yaml', REVIEWS, options).yaml);
  assert.ok(deployment);
  deployment['spec']['template']['spec']['containers'][1]['ports'][0]['containerPort'] = 'fifteen';
  assert.throws(() => validate(deployment), /containerPort must be integer/);
});

test('explicit mode: the sidecar joins the pod, the app sends through it, and the result is a valid Deployment', () => {
  const { yaml, report } = injectManifests('reviews.yaml', REVIEWS, options);
  assert.deepEqual(report, ['Deployment/reviews-v2: injected (sidecar, explicit proxy)']);
  const [deployment, service] = docs(yaml);
  assert.ok(deployment && service);
  validate(deployment);
  validate(service);
  const pod = deployment['spec']['template'];
  const [app, proxy] = pod['spec']['containers'];
  assert.deepEqual(app.env, [{ name: 'SERVICE_VERSION', value: 'v2' }, { name: 'SKIFF_OUTBOUND_PROXY', value: 'http://127.0.0.1:15001' }]);
  assert.equal(proxy.name, 'skiff-proxy');
  assert.equal(proxy.image, 'skiff/proxy:0.1.0');
  const env = Object.fromEntries(proxy.env.map((e: Obj) => [e['name'], e['value'] ?? e['valueFrom']['fieldRef']['fieldPath']]));
  assert.deepEqual(env, {
    POD_NAME: 'metadata.name',
    POD_NAMESPACE: 'metadata.namespace',
    SKIFF_ADDRESS: 'status.podIP',
    SKIFF_SERVICE_ACCOUNT: 'spec.serviceAccountName',
    SKIFF_ID: '$(POD_NAME).$(POD_NAMESPACE)',
    SKIFF_NAMESPACE: '$(POD_NAMESPACE)',
    SKIFF_SERVICE: 'reviews',
    SKIFF_LABELS: 'version=v2',
    SKIFF_APP_PORT: '9080',
    SKIFF_CONTROL_PLANE: 'skiff-control-plane.skiff-system:15012',
    SKIFF_TOKEN_FILE: TOKEN_PATH,
    SKIFF_ROOT_CERT: '/var/run/secrets/istio/root-cert.pem',
  });
  assert.deepEqual(proxy.securityContext, { runAsUser: 1337, runAsGroup: 1337, runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  assert.deepEqual(proxy.readinessProbe.httpGet, { path: '/ready', port: 15000 });
  assert.equal(pod['spec']['initContainers'], undefined, 'no init container without transparent interception');
  assert.deepEqual(pod['spec']['volumes'], [
    { name: 'skiff-token', projected: { sources: [{ serviceAccountToken: { path: 'skiff-token', audience: 'skiff', expirationSeconds: 3600 } }] } },
    // The mesh root the control plane publishes in the pod's namespace; optional, so a pod created first still starts.
    { name: 'istio-ca-root-cert', configMap: { name: 'istio-ca-root-cert', optional: true } },
  ]);
  assert.equal(JSON.parse(pod['metadata']['annotations'][STATUS_ANNOTATION]).mode, 'explicit');
  assert.match(yaml, /^# reviews v2, as a user writes it$/m, 'comments are kept');
  assert.match(yaml, /containerPort: 9080 # the app's port, behind the sidecar/);
  assert.deepEqual(service, docs(REVIEWS)[1], 'a Service is left as it was');
});

test("the app's container port name is announced as the port's name, which names its protocol as in Istio", () => {
  const named = REVIEWS.replace('- containerPort: 9080 # the app\'s port, behind the sidecar', '- { containerPort: 9080, name: grpc-reviews }');
  assert.notEqual(named, REVIEWS);
  const [deployment] = docs(injectManifests('reviews.yaml', named, options).yaml);
  validate(deployment as Obj);
  const proxy = (deployment as Obj)['spec']['template']['spec']['containers'][1];
  assert.deepEqual(proxy.env.find((e: Obj) => e['name'] === 'SKIFF_SERVICE_PORT_NAME'), { name: 'SKIFF_SERVICE_PORT_NAME', value: 'grpc-reviews' });
  const unnamed = docs(injectManifests('reviews.yaml', REVIEWS, options).yaml)[0] as Obj;
  assert.equal(unnamed['spec']['template']['spec']['containers'][1].env.find((e: Obj) => e['name'] === 'SKIFF_SERVICE_PORT_NAME'), undefined, 'an unnamed port is sniffed');
});

test("without --app-port the app's port is the first one its first container declares (tcp-echo's 9000), announced as the service port too", () => {
  const tcpEcho = REVIEWS.replace('- containerPort: 9080 # the app\'s port, behind the sidecar', '- { containerPort: 9000, name: tcp }');
  assert.notEqual(tcpEcho, REVIEWS);
  const env = (text: string, opts: typeof options) => {
    const [deployment] = docs(injectManifests('tcp-echo.yaml', text, opts).yaml);
    return Object.fromEntries(((deployment as Obj)['spec']['template']['spec']['containers'][1].env as Obj[]).map((e) => [e['name'], e['value']]));
  };
  const withoutPort = options; // it names no appPort
  assert.deepEqual([env(tcpEcho, withoutPort)['SKIFF_APP_PORT'], env(tcpEcho, withoutPort)['SKIFF_SERVICE_PORT'], env(tcpEcho, withoutPort)['SKIFF_SERVICE_PORT_NAME']], ['9000', '9000', 'tcp']);
  assert.deepEqual([env(tcpEcho, { ...withoutPort, appPort: 9080 })['SKIFF_APP_PORT'], env(tcpEcho, { ...withoutPort, appPort: 9080 })['SKIFF_SERVICE_PORT_NAME']], ['9080', undefined], '--app-port wins');
  assert.equal(env(REVIEWS, withoutPort)['SKIFF_SERVICE_PORT'], undefined, "9080 is the proxy's default: not repeated");
});

test('transparent mode: an init container with NET_ADMIN installs the redirects; apps are not told about the proxy', () => {
  const { yaml } = injectManifests('reviews.yaml', REVIEWS, { ...options, transparent: true });
  const [deployment] = docs(yaml);
  assert.ok(deployment);
  validate(deployment);
  const spec = deployment['spec']['template']['spec'];
  assert.deepEqual(spec.initContainers.map((c: Obj) => [c['name'], c['image'], c['securityContext']['capabilities']]), [['skiff-init', 'skiff/init:0.1.0', { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] }]]);
  assert.deepEqual(spec.containers[0].env, [{ name: 'SERVICE_VERSION', value: 'v2' }]);
});

test('injecting twice changes nothing; opted-out and host-network pods are left alone', () => {
  const once = injectManifests('reviews.yaml', REVIEWS, options);
  const twice = injectManifests('reviews.yaml', once.yaml, options);
  assert.equal(twice.yaml, once.yaml);
  assert.deepEqual(twice.report, ['Deployment/reviews-v2: already injected']);
  const optedOut = REVIEWS.replace('      labels: { app: reviews, version: v2 }\n    spec:', '      labels: { app: reviews, version: v2 }\n      annotations: { sidecar.istio.io/inject: "false" }\n    spec:');
  assert.deepEqual(injectManifests('r.yaml', optedOut, options).report, ['Deployment/reviews-v2: skipped (sidecar.istio.io/inject: "false")']);
  const optedOutByLabel = REVIEWS.replace('      labels: { app: reviews, version: v2 }\n    spec:', '      labels: { app: reviews, version: v2, sidecar.istio.io/inject: "false" }\n    spec:');
  assert.deepEqual(injectManifests('r.yaml', optedOutByLabel, options).report, ['Deployment/reviews-v2: skipped (label sidecar.istio.io/inject: "false")'], 'the label, as istiod honours it');
  const host = REVIEWS.replace('      serviceAccountName: reviews', '      hostNetwork: true');
  assert.match(injectManifests('r.yaml', host, options).report[0] ?? '', /skipped \(hostNetwork/);
});

test('every kind with pods is injected where its pod template lives, and stays valid', () => {
  const podSpec = '      containers:\n        - name: app\n          image: app:1\n';
  const template = `    metadata:\n      labels: { app: ratings, version: v1 }\n    spec:\n${podSpec.replace(/^/gm, '  ')}`;
  const manifests = [
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: { app: ratings }\nspec:\n${podSpec.replace(/^ {4}/gm, '  ')}`,
    `apiVersion: apps/v1\nkind: StatefulSet\nmetadata: { name: s }\nspec:\n  serviceName: ratings\n  selector: { matchLabels: { app: ratings } }\n  template:\n${template}`,
    `apiVersion: apps/v1\nkind: DaemonSet\nmetadata: { name: d }\nspec:\n  selector: { matchLabels: { app: ratings } }\n  template:\n${template}`,
    `apiVersion: batch/v1\nkind: Job\nmetadata: { name: j }\nspec:\n  template:\n${template}`,
    `apiVersion: batch/v1\nkind: CronJob\nmetadata: { name: c }\nspec:\n  schedule: "* * * * *"\n  jobTemplate:\n    spec:\n      template:\n${template.replace(/^/gm, '    ')}`,
  ];
  for (const manifest of manifests) {
    const { yaml, report } = injectManifests('m.yaml', manifest, options);
    const [injected] = docs(yaml);
    assert.ok(injected);
    assert.match(report[0] ?? '', /: injected/, manifest);
    validate(injected);
    assert.match(yaml, /name: skiff-proxy/);
  }
});

test('what cannot be injected says where and what to do', () => {
  assert.throws(() => injectManifests('r.yaml', REVIEWS.replace(/labels: \{ app: reviews, version: v2 \}\n {4}spec:/, 'labels: { version: v2 }\n    spec:'), options), /Deployment\/reviews-v2: the pod template has no "app" label.*add metadata.labels.app/);
  assert.throws(() => injectManifests('r.yaml', 'kind: Pod\nmetadata: {name: x\n', options), /r.yaml: document 1: /);
  assert.throws(() => injectManifests('r.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: x }\nspec: {}\n', options), /Deployment\/x has no pod template at spec.template/);
});
