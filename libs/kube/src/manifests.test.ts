// k8s/ checked offline: resolved as `kubectl apply -k k8s/` would (kustomize.ts), every object
// validated against the Kubernetes schemas (kubernetes-models) or, for the Istio kinds, against
// the CRDs in the tree (ajv, strict fields as kubectl's default), and the properties that matter
// held by tests: pod security, least-privilege RBAC, the webhook, ports and names that must agree.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { isMeshKind, validateResource } from '@skiff/api';
import { meshCustomResourceDefinitions } from './crds.js';
import { SAMPLE_INJECT_OPTIONS } from './generated.js';
import { STATUS_ANNOTATION } from './inject.js';
import { loadKustomization } from './kustomize.js';
import { customResourceErrors, customResourceValidators, modelFor, REPO, repoTree, validateBuiltin, type Obj } from './test-support.js';

const loaded = loadKustomization('k8s', repoTree);
const objects = loaded.map((l) => l.object as Obj);
const all = (kind: string) => objects.filter((o) => o['kind'] === kind);
const one = (kind: string, name: string) => {
  const found = objects.find((o) => o['kind'] === kind && o['metadata']['name'] === name);
  assert.ok(found, `no ${kind} ${name} in k8s/`);
  return found;
};
const validators = customResourceValidators(all('CustomResourceDefinition'));
const docs = (text: string) => parseAllDocuments(text).map((d) => (d as { toJS(): Obj }).toJS()).filter((o) => o !== null);
const pods = all('Deployment').map((d) => ({ name: `${d['metadata']['namespace']}/${d['metadata']['name']}`, pod: d['spec']['template'] as Obj }));

describe('k8s/ as kubectl apply -k k8s/ sees it', () => {
  test('holds the mesh, its observability and the samples', () => {
    const inventory = objects.map((o) => `${o['kind']} ${o['metadata']['namespace'] ? `${o['metadata']['namespace']}/` : ''}${o['metadata']['name']}`).sort();
    assert.deepEqual(inventory, [
      'ClusterRole skiff-control-plane',
      'ClusterRole skiff-prometheus',
      'ClusterRoleBinding skiff-control-plane',
      'ClusterRoleBinding skiff-prometheus',
      'ConfigMap skiff-system/prometheus',
      'CustomResourceDefinition authorizationpolicies.security.istio.io',
      'CustomResourceDefinition destinationrules.networking.istio.io',
      'CustomResourceDefinition gateways.networking.istio.io',
      'CustomResourceDefinition peerauthentications.security.istio.io',
      'CustomResourceDefinition requestauthentications.security.istio.io',
      'CustomResourceDefinition serviceentries.networking.istio.io',
      'CustomResourceDefinition virtualservices.networking.istio.io',
      'Deployment skiff-samples/frontend-v1',
      'Deployment skiff-samples/ratings-v1',
      'Deployment skiff-samples/reviews-v1',
      'Deployment skiff-samples/reviews-v2',
      'Deployment skiff-samples/tcp-echo-v1',
      'Deployment skiff-samples/tcp-echo-v2',
      'Deployment skiff-system/istio-ingressgateway',
      'Deployment skiff-system/jaeger',
      'Deployment skiff-system/prometheus',
      'Deployment skiff-system/skiff-control-plane',
      'DestinationRule skiff-samples/reviews',
      'Gateway skiff-samples/skiff-gateway',
      'MutatingWebhookConfiguration skiff-sidecar-injector',
      'Namespace skiff-samples',
      'Namespace skiff-system',
      'Role skiff-system/skiff-control-plane',
      'RoleBinding skiff-system/skiff-control-plane',
      'Service skiff-samples/frontend',
      'Service skiff-samples/ratings',
      'Service skiff-samples/reviews',
      'Service skiff-samples/tcp-echo',
      'Service skiff-system/istio-ingressgateway',
      'Service skiff-system/jaeger',
      'Service skiff-system/prometheus',
      'Service skiff-system/skiff-control-plane',
      'ServiceAccount skiff-samples/frontend',
      'ServiceAccount skiff-samples/ratings',
      'ServiceAccount skiff-samples/reviews',
      'ServiceAccount skiff-samples/tcp-echo',
      'ServiceAccount skiff-system/istio-ingressgateway-service-account',
      'ServiceAccount skiff-system/jaeger',
      'ServiceAccount skiff-system/prometheus',
      'ServiceAccount skiff-system/skiff-control-plane',
      'VirtualService skiff-samples/frontend',
      'VirtualService skiff-samples/reviews',
    ]);
    for (const o of objects) assert.equal(o['metadata']['labels']?.['app.kubernetes.io/part-of'], 'skiff', `${o['kind']} ${o['metadata']['name']}`);
  });

  test('every object is valid: built-in kinds by the Kubernetes schemas, Istio kinds by the CRDs and by Skiff', () => {
    for (const { object, source } of loaded) {
      const Model = modelFor(object);
      if (Model) {
        assert.doesNotThrow(() => new Model(object).validate(), `${source}: ${object.kind} ${object.metadata.name}`);
      } else {
        assert.ok(isMeshKind(object.kind), `${source}: no schema to check ${object.apiVersion} ${object.kind} (add it to test-support.ts)`);
        assert.deepEqual(customResourceErrors(validators, object), [], source);
        assert.deepEqual(validateResource(object, { file: source, line: 1 }).issues, [], source);
      }
    }
  });

  test('the CRDs applied are the generated ones', () => {
    assert.deepEqual(all('CustomResourceDefinition'), meshCustomResourceDefinitions());
  });

  test('the checks refuse what the API server would (so a pass above means something)', () => {
    const deployment = structuredClone(one('Deployment', 'skiff-control-plane'));
    deployment['spec']['replicas'] = 'two';
    assert.throws(() => validateBuiltin(deployment), /data\/spec\/replicas must be integer/);
    const crd = structuredClone(all('CustomResourceDefinition')[0] as Obj);
    crd['spec']['versions'][0]['served'] = 'yes';
    assert.throws(() => validateBuiltin(crd), /served must be boolean/);
    const vs = structuredClone(one('VirtualService', 'reviews'));
    vs['spec']['http'][0]['route'][0]['weight'] = 'ninety';
    assert.deepEqual(customResourceErrors(validators, vs), ['/spec/http/0/route/0/weight must be integer']);
  });
});

describe('custom resources written elsewhere would be accepted by these CRDs', () => {
  const resources: Array<{ where: string; resource: Obj }> = [];
  const yamlFiles = (dir: string) => readdirSync(join(REPO, dir)).filter((n) => n.endsWith('.yaml')).map((n) => `${dir}/${n}`);
  for (const file of [...yamlFiles('config'), ...yamlFiles('docs/workshop')]) {
    docs(repoTree.readFile(file) as string).forEach((resource, i) => resources.push({ where: `${file}#${i + 1}`, resource }));
  }
  // The labs' YAML blocks, which learners `kubectl apply` on a cluster just the same.
  for (const file of readdirSync(join(REPO, 'docs/workshop')).filter((n) => n.endsWith('.md'))) {
    const text = repoTree.readFile(`docs/workshop/${file}`) as string;
    [...text.matchAll(/^```ya?ml\b[^\n]*\n([\s\S]*?)^```/gm)].forEach((block, b) => docs(block[1] as string).forEach((resource, i) => resources.push({ where: `docs/workshop/${file} block ${b + 1}#${i + 1}`, resource })));
  }
  const istio = resources.filter(({ resource }) => isMeshKind(resource['kind']) && String(resource['apiVersion']).includes('istio.io'));

  test('config/ and docs/workshop (files and the labs\' YAML blocks)', () => {
    assert.ok(istio.length >= 20, `only ${istio.length} Istio resources found in config/ and docs/workshop`);
    const kinds = new Set(istio.map(({ resource }) => resource['kind']));
    assert.deepEqual([...kinds].sort(), ['AuthorizationPolicy', 'DestinationRule', 'Gateway', 'PeerAuthentication', 'RequestAuthentication', 'ServiceEntry', 'VirtualService']);
    for (const { where, resource } of istio) assert.deepEqual(customResourceErrors(validators, resource), [], where);
  });
});

describe('pod security: every container meets the restricted Pod Security Standard', () => {
  const containersOf = (pod: Obj): Obj[] => [...(pod['spec']['initContainers'] ?? []), ...pod['spec']['containers']];

  test('non-root, no privilege escalation, read-only root, no capabilities, RuntimeDefault seccomp', () => {
    const problems: string[] = [];
    for (const { name, pod } of pods) {
      const podContext: Obj = pod['spec']['securityContext'] ?? {};
      for (const c of containersOf(pod)) {
        const sc: Obj = c['securityContext'] ?? {};
        const at = `${name} ${c['name']}`;
        if ((sc['runAsNonRoot'] ?? podContext['runAsNonRoot']) !== true) problems.push(`${at}: runAsNonRoot`);
        if ((sc['runAsUser'] ?? podContext['runAsUser']) === 0) problems.push(`${at}: runs as uid 0`);
        if (sc['allowPrivilegeEscalation'] !== false) problems.push(`${at}: allowPrivilegeEscalation`);
        if (sc['readOnlyRootFilesystem'] !== true) problems.push(`${at}: readOnlyRootFilesystem`);
        if (sc['privileged']) problems.push(`${at}: privileged`);
        if (!sc['capabilities']?.['drop']?.includes('ALL') || (sc['capabilities']?.['add'] ?? []).length > 0) problems.push(`${at}: capabilities (drop ALL, add none)`);
        if ((sc['seccompProfile'] ?? podContext['seccompProfile'])?.['type'] !== 'RuntimeDefault') problems.push(`${at}: seccompProfile RuntimeDefault`);
      }
      for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) if (pod['spec'][field]) problems.push(`${name}: ${field}`);
    }
    assert.deepEqual(problems, []);
    for (const ns of all('Namespace')) assert.equal(ns['metadata']['labels']['pod-security.kubernetes.io/enforce'], 'restricted', ns['metadata']['name']);
  });

  test('probes and resources on every container (the sidecar, like istio-proxy, has readiness only)', () => {
    const problems: string[] = [];
    for (const { name, pod } of pods) {
      for (const c of pod['spec']['containers'] as Obj[]) {
        const at = `${name} ${c['name']}`;
        if (!c['readinessProbe']) problems.push(`${at}: readinessProbe`);
        if (!c['livenessProbe'] && c['name'] !== 'skiff-proxy') problems.push(`${at}: livenessProbe`);
        const { requests = {}, limits = {} } = (c['resources'] ?? {}) as Obj;
        if (!requests['cpu'] || !requests['memory'] || !limits['memory']) problems.push(`${at}: requests (cpu, memory) and a memory limit`);
      }
    }
    assert.deepEqual(problems, []);
  });

  test('writable volumes only where a program must write; API tokens only where the API is called', () => {
    const volumes = pods.flatMap(({ name, pod }) => (pod['spec']['volumes'] ?? []).map((v: Obj) => `${name} ${v['name']}: ${Object.keys(v).filter((k) => k !== 'name').join()}`));
    assert.deepEqual(volumes.filter((v) => !/: (projected|configMap)$/.test(v)).sort(), ['skiff-system/jaeger tmp: emptyDir', 'skiff-system/prometheus data: emptyDir']);
    const accounts = new Map(all('ServiceAccount').map((sa) => [`${sa['metadata']['namespace']}/${sa['metadata']['name']}`, sa]));
    const withToken = pods.filter(({ name, pod }) => {
      const sa = accounts.get(`${name.split('/')[0]}/${pod['spec']['serviceAccountName']}`);
      assert.ok(sa, `${name}: its ServiceAccount ${pod['spec']['serviceAccountName']} is not in k8s/`);
      return (pod['spec']['automountServiceAccountToken'] ?? sa['automountServiceAccountToken'] ?? true) !== false;
    });
    assert.deepEqual(withToken.map((p) => p.name).sort(), ['skiff-system/prometheus', 'skiff-system/skiff-control-plane']);
  });
});

describe('RBAC: least privilege', () => {
  const rules = (kind: string, name: string) =>
    (one(kind, name)['rules'] as Obj[]).flatMap((r) =>
      (r['resources'] as string[]).map((res) => `${r['apiGroups'].join() || 'core'} ${res}${r['resourceNames'] ? `[${r['resourceNames'].join()}]` : ''}: ${r['verbs'].join(',')}`),
    );

  test('the control plane: read the Istio kinds, write their status, EndpointSlices, the mesh root ConfigMap, TokenReviews, its webhook; nothing else', () => {
    assert.deepEqual(rules('ClusterRole', 'skiff-control-plane').sort(), [
      'admissionregistration.k8s.io mutatingwebhookconfigurations[skiff-sidecar-injector]: get,update',
      'authentication.k8s.io tokenreviews: create',
      'core configmaps: get,create,update',
      'discovery.k8s.io endpointslices: get,list,watch',
      'networking.istio.io destinationrules/status: patch',
      'networking.istio.io destinationrules: get,list,watch',
      'networking.istio.io gateways/status: patch',
      'networking.istio.io gateways: get,list,watch',
      'networking.istio.io serviceentries/status: patch',
      'networking.istio.io serviceentries: get,list,watch',
      'networking.istio.io virtualservices/status: patch',
      'networking.istio.io virtualservices: get,list,watch',
      'security.istio.io authorizationpolicies/status: patch',
      'security.istio.io authorizationpolicies: get,list,watch',
      'security.istio.io peerauthentications/status: patch',
      'security.istio.io peerauthentications: get,list,watch',
      'security.istio.io requestauthentications/status: patch',
      'security.istio.io requestauthentications: get,list,watch',
    ]);
    assert.deepEqual(rules('Role', 'skiff-control-plane').sort(), [
      'coordination.k8s.io leases: create',
      'coordination.k8s.io leases[skiff-control-plane]: get,update',
      'core secrets: create',
      'core secrets[skiff-ca]: get',
    ]);
    assert.equal(one('Role', 'skiff-control-plane')['metadata']['namespace'], 'skiff-system');
  });

  test('no wildcards anywhere, no secrets cluster-wide, every binding names a role and an account that exist', () => {
    for (const role of [...all('ClusterRole'), ...all('Role')]) {
      for (const rule of role['rules'] as Obj[]) {
        for (const field of ['apiGroups', 'resources', 'verbs', 'resourceNames']) assert.ok(!(rule[field] ?? []).includes('*'), `${role['kind']} ${role['metadata']['name']}: "*" in ${field}`);
        if (role['kind'] === 'ClusterRole') assert.ok(!rule['resources'].includes('secrets'), `${role['metadata']['name']} grants secrets cluster-wide`);
      }
    }
    for (const binding of [...all('ClusterRoleBinding'), ...all('RoleBinding')]) {
      one(binding['roleRef']['kind'], binding['roleRef']['name']);
      for (const subject of binding['subjects'] as Obj[]) {
        assert.ok(objects.some((o) => o['kind'] === 'ServiceAccount' && o['metadata']['name'] === subject['name'] && o['metadata']['namespace'] === subject['namespace']), `${binding['metadata']['name']}: no ServiceAccount ${subject['namespace']}/${subject['name']}`);
      }
    }
  });
});

describe('names and ports that must agree', () => {
  const controlPlane = one('Deployment', 'skiff-control-plane')['spec']['template']['spec'];
  const container = controlPlane['containers'][0] as Obj;
  const service = one('Service', 'skiff-control-plane');

  test('the control plane runs in Kubernetes mode with its pod identity, and serves discovery, monitoring, webhook and dashboard', () => {
    assert.deepEqual(container['args'].slice(0, 2), ['--config-source', 'kubernetes']);
    const env = Object.fromEntries((container['env'] as Obj[]).map((e) => [e['name'], e['value'] ?? e['valueFrom']['fieldRef']['fieldPath']]));
    assert.equal(env['POD_NAME'], 'metadata.name');
    assert.equal(env['POD_NAMESPACE'], 'metadata.namespace');
    // The Lease and the Secret it is named are the ones the Role grants.
    const granted = (resource: string) => (one('Role', 'skiff-control-plane')['rules'] as Obj[]).find((r) => r['resources'].includes(resource) && r['resourceNames'])?.['resourceNames'];
    assert.deepEqual([env['SKIFF_LEASE'], env['SKIFF_CA_SECRET']], [`$(POD_NAMESPACE)/${granted('leases')}`, granted('secrets')?.[0]]);
    // The webhook injects what the pre-injected samples have (npm run gen:samples).
    assert.deepEqual([env['SKIFF_INJECT'], env['SKIFF_PROXY_IMAGE']], [SAMPLE_INJECT_OPTIONS.transparent ? 'transparent' : 'explicit', SAMPLE_INJECT_OPTIONS.proxyImage]);
    assert.equal(env['SKIFF_WEBHOOK_PORT'], String(container['ports'].find((p: Obj) => p['name'] === 'https-webhook')['containerPort']));
    const ports = Object.fromEntries((container['ports'] as Obj[]).map((p) => [p['name'], p['containerPort']]));
    assert.deepEqual(ports, { 'tls-xds': 15012, 'http-monitoring': 15014, 'https-webhook': 15017, 'http-dashboard': 20001 });
    assert.deepEqual(
      (service['spec']['ports'] as Obj[]).map((p) => `${p['name']} ${p['port']}->${(container['ports'] as Obj[]).find((c) => c['name'] === p['targetPort'])?.['containerPort']}`),
      ['tls-xds 15012->15012', 'http-monitoring 15014->15014', 'https-webhook 443->15017', 'http-dashboard 20001->20001'],
    );
  });

  test('the injection webhook: pods in labelled namespaces, to the control plane on 443 /inject, refused when it is down', () => {
    const [webhook, ...more] = one('MutatingWebhookConfiguration', 'skiff-sidecar-injector')['webhooks'] as Obj[];
    assert.ok(webhook && more.length === 0);
    assert.deepEqual(webhook['clientConfig'], { service: { name: 'skiff-control-plane', namespace: 'skiff-system', path: '/inject', port: 443 } });
    assert.deepEqual(
      [webhook['admissionReviewVersions'], webhook['sideEffects'], webhook['failurePolicy'], webhook['reinvocationPolicy'], webhook['timeoutSeconds']],
      [['v1'], 'None', 'Fail', 'Never', 10],
    );
    assert.deepEqual(webhook['rules'], [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }]);
    assert.deepEqual(webhook['namespaceSelector'], { matchLabels: { 'skiff-injection': 'enabled' } });
    assert.deepEqual(webhook['objectSelector'], { matchExpressions: [{ key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'] }] });
    // Only the samples' namespace is labelled; its pods are injected already, so the webhook leaves them.
    const labelled = all('Namespace').filter((ns) => ns['metadata']['labels']['skiff-injection'] === 'enabled');
    assert.deepEqual(labelled.map((ns) => ns['metadata']['name']), ['skiff-samples']);
    for (const { name, pod } of pods.filter((p) => p.name.startsWith('skiff-samples/'))) assert.ok(pod['metadata']['annotations']?.[STATUS_ANNOTATION], `${name} is not injected`);
  });

  test('every Service selects pods that have its target ports; sidecars and the gateway dial a Service that exists', () => {
    for (const svc of all('Service')) {
      const at = `Service ${svc['metadata']['namespace']}/${svc['metadata']['name']}`;
      const selected = pods.filter(({ name, pod }) => name.startsWith(`${svc['metadata']['namespace']}/`) && Object.entries(svc['spec']['selector'] as Obj).every(([k, v]) => pod['metadata']['labels'][k] === v));
      assert.ok(selected.length > 0, `${at} selects no pods`);
      for (const port of svc['spec']['ports'] as Obj[]) {
        for (const { name, pod } of selected) {
          const containerPorts = (pod['spec']['containers'] as Obj[]).flatMap((c) => (c['ports'] ?? []) as Obj[]);
          assert.ok(containerPorts.some((p) => p['name'] === port['targetPort'] || p['containerPort'] === port['targetPort']), `${at} port ${port['name']}: ${name} has no port ${port['targetPort']}`);
        }
      }
    }
    const dialled = pods.flatMap(({ pod }) => (pod['spec']['containers'] as Obj[]).flatMap((c) => ((c['env'] ?? []) as Obj[]).filter((e) => e['name'] === 'SKIFF_CONTROL_PLANE').map((e) => e['value'])));
    assert.equal(dialled.length, 7, 'six sample pods (frontend, reviews v1 and v2, ratings, tcp-echo v1 and v2) and the gateway');
    assert.deepEqual([...new Set(dialled)], [`skiff-control-plane.skiff-system:${service['spec']['ports'][0]['port']}`]);
  });

  test('the ingress gateway: selected by the Gateway resource, reachable from outside, scraped by Prometheus', () => {
    const gatewayPod = one('Deployment', 'istio-ingressgateway')['spec']['template'];
    const selector = one('Gateway', 'skiff-gateway')['spec']['selector'] as Obj;
    assert.ok(Object.entries(selector).every(([k, v]) => gatewayPod['metadata']['labels'][k] === v), 'the Gateway resource does not select the gateway pods');
    assert.equal(one('Service', 'istio-ingressgateway')['spec']['type'], 'LoadBalancer');
    const config = docs(one('ConfigMap', 'prometheus')['data']['prometheus.yml'])[0] as Obj;
    const envoy = (config['scrape_configs'] as Obj[]).find((j) => j['job_name'] === 'envoy-stats') as Obj;
    const keep = new RegExp(`^(?:${envoy['relabel_configs'][0]['regex']})$`);
    for (const { name, pod } of pods.filter((p) => p.name.startsWith('skiff-samples/') || p.name.endsWith('/istio-ingressgateway'))) {
      const metrics = (pod['spec']['containers'] as Obj[]).flatMap((c) => (c['ports'] ?? []) as Obj[]).filter((p) => keep.test(p['name']));
      assert.deepEqual(metrics.map((p) => p['containerPort']), [15090], `${name}: Prometheus's envoy-stats job would not scrape it`);
    }
  });
});
