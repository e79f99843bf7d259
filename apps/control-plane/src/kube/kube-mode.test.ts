// The whole control plane in Kubernetes mode, against the API server stand-in: config from custom
// resources, status written back, and certificates for pods' service-account tokens (TokenReview).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { certificateInfo, createWorkloadCsr, generateWorkloadKey, splitPemCertificates } from '@skiff/pki';
import { createCertificateClient, grpc, MutableCertificateProvider, mutualTlsChannelCredentials } from '@skiff/protocol';
import { createLogger } from '@skiff/telemetry';
import { startKubeApiStandIn, waitFor, type KubeApiStandIn } from '@skiff/testing';
import { startControlPlane, type RunningControlPlane } from '../control-plane.js';
import { parseControlPlaneFlags, type ControlPlaneFlags } from '../flags.js';

const logger = createLogger('test', {}, { level: process.env['TEST_LOG'] ?? 'silent' });
let api: KubeApiStandIn;
let dir: string;
let cp: RunningControlPlane;

before(async () => {
  api = await startKubeApiStandIn();
  api.serviceAccountTokens.set('projected-token-of-reviews', { username: 'system:serviceaccount:default:reviews', audiences: ['skiff'] });
  api.apply({
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'reviews', namespace: 'default' },
    spec: { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }] },
  });
  api.apply({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'skiff-sidecar-injector' },
    webhooks: [{ name: 'sidecar-injector.skiff.dev', clientConfig: { service: { name: 'skiff-control-plane', namespace: 'skiff-system', path: '/inject', port: 443 } }, admissionReviewVersions: ['v1'], sideEffects: 'None' }],
  });
  dir = mkdtempSync(join(tmpdir(), 'skiff-kube-mode-'));
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  writeFileSync(kubeconfig, api.kubeconfig); // as kubectl writes one: https, the cluster's CA, a bearer token
  const flags = parseControlPlaneFlags(['--config-source', 'kubernetes', '--kubeconfig', kubeconfig, '--lease', 'skiff-system/skiff-control-plane', '--xds-port', '0', '--monitoring-port', '0', '--dashboard-port', 'off', '--webhook-port', '0', '--ca-secret', 'skiff-ca', '--warmup-ms', '0']);
  cp = await startControlPlane(flags as ControlPlaneFlags, logger);
});

after(async () => {
  await cp?.close();
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

test('config comes from the custom resources, and each gets an Accepted condition from the leader', async () => {
  assert.deepEqual(
    cp.config().resources.map((r) => `${r.kind} ${r.metadata.namespace}/${r.metadata.name}`),
    ['DestinationRule default/reviews'],
  );
  api.apply({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'reviews', namespace: 'default' }, spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' } }] }] } });
  await waitFor('the VirtualService in force', () => cp.config().resources.some((r) => r.kind === 'VirtualService'));
  const condition = () => ((api.get('VirtualService', 'default', 'reviews')?.['status'] as { conditions?: Array<Record<string, unknown>> } | undefined)?.conditions ?? [])[0];
  await waitFor('the status condition', () => condition()?.['status'] === 'True', 20_000);
  const lease = api.get('Lease', 'skiff-system', 'skiff-control-plane')?.['spec'] as { holderIdentity?: string } | undefined;
  assert.ok(lease?.holderIdentity, 'the control plane took the lease');
});

test("the CA signs a pod's CSR for the service account its projected token proves, and nothing else", async () => {
  // As a pod's sidecar does: TLS to the CA, verifying the control plane against the root kept in the Secret.
  const secret = api.get('Secret', 'skiff-system', 'skiff-ca')?.['data'] as Record<string, string> | undefined;
  const roots = new MutableCertificateProvider();
  roots.setRoots(Buffer.from(secret?.['ca-cert.pem'] ?? '', 'base64').toString('utf8'));
  const client = createCertificateClient(`127.0.0.1:${cp.ports.xds}`, { credentials: mutualTlsChannelCredentials(roots, null), serverName: 'skiff-control-plane' });
  const ask = async (spiffeId: string, token: string) => {
    const csr = createWorkloadCsr(spiffeId, (await generateWorkloadKey()).privateKeyPem);
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${token}`);
    return new Promise<string[]>((resolve, reject) =>
      client.CreateCertificate({ csr, validityDuration: 3600 }, metadata, { deadline: Date.now() + 10_000 }, (error, response) => (error ? reject(error) : resolve(response?.certChain ?? []))),
    );
  };
  try {
    const chain = await ask('spiffe://cluster.local/ns/default/sa/reviews', 'projected-token-of-reviews');
    const [leaf] = splitPemCertificates(chain[0] ?? '');
    assert.equal(certificateInfo(leaf ?? '').spiffeId, 'spiffe://cluster.local/ns/default/sa/reviews');
    await assert.rejects(ask('spiffe://cluster.local/ns/default/sa/ratings', 'projected-token-of-reviews'), (e: { code?: number }) => e.code === grpc.status.PERMISSION_DENIED, "another account's identity is refused");
    await assert.rejects(ask('spiffe://cluster.local/ns/default/sa/reviews', 'not-a-real-token'), (e: { code?: number }) => e.code === grpc.status.UNAUTHENTICATED);
    assert.ok(api.requests.some((r) => r.startsWith('POST /apis/authentication.k8s.io/v1/tokenreviews')), 'asked the API server');
  } finally {
    client.close();
  }
});

test('the webhook serves injection with a certificate the published caBundle verifies', async () => {
  const published = () => (api.get('MutatingWebhookConfiguration', undefined, 'skiff-sidecar-injector')?.['webhooks'] as Array<{ clientConfig: { caBundle?: string } }>)[0]?.clientConfig.caBundle;
  await waitFor('the caBundle', () => published());
  const ca = Buffer.from(published() ?? '', 'base64').toString('utf8');
  const secret = api.get('Secret', 'skiff-system', 'skiff-ca')?.['data'] as Record<string, string> | undefined;
  assert.equal(ca, Buffer.from(secret?.['ca-cert.pem'] ?? '', 'base64').toString('utf8'), 'the caBundle is the root kept in the Secret');
  const review = {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'e911857d-c318-11e8-bbad-025000000001',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      operation: 'CREATE',
      namespace: 'default',
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'reviews-v2-', labels: { app: 'reviews', version: 'v2' } }, spec: { serviceAccountName: 'reviews', containers: [{ name: 'reviews', image: 'skiff/reviews:dev' }] } },
    },
  };
  // As the API server calls it: through the Service's name, trusting only the caBundle.
  const answer = await new Promise<{ response?: { uid?: string; allowed?: boolean; patchType?: string; patch?: string } }>((resolve, reject) => {
    const body = JSON.stringify(review);
    const req = httpsRequest(
      { host: '127.0.0.1', port: cp.ports.webhook, path: '/inject', method: 'POST', ca, servername: 'skiff-control-plane.skiff-system.svc', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(text) as never) : reject(new Error(`${res.statusCode}: ${text}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  assert.equal(answer.response?.uid, review.request.uid);
  assert.equal(answer.response?.allowed, true);
  assert.equal(answer.response?.patchType, 'JSONPatch');
  const patch = JSON.parse(Buffer.from(answer.response?.patch ?? '', 'base64').toString('utf8')) as Array<{ op: string; path: string; value?: { name?: string; env?: Array<{ name: string; value?: string }> } }>;
  const sidecar = patch.find((p) => p.path === '/spec/containers/1')?.value;
  assert.equal(sidecar?.name, 'skiff-proxy');
  assert.equal(sidecar?.env?.find((e) => e.name === 'SKIFF_CONTROL_PLANE')?.value, `skiff-control-plane.skiff-system:15012`);
  // The pod mounts the mesh root from its namespace; the webhook made sure it is there first.
  const rootCert = api.get('ConfigMap', 'default', 'istio-ca-root-cert')?.['data'] as Record<string, string> | undefined;
  assert.equal(rootCert?.['root-cert.pem'], ca, 'the mesh root is published where the injected pod mounts it');
});

test("the mesh root is published in the control plane's own namespace too (the gateway runs there)", async () => {
  await waitFor('the ConfigMap in skiff-system', () => api.get('ConfigMap', 'skiff-system', 'istio-ca-root-cert'));
  const secret = api.get('Secret', 'skiff-system', 'skiff-ca')?.['data'] as Record<string, string> | undefined;
  assert.equal((api.get('ConfigMap', 'skiff-system', 'istio-ca-root-cert')?.['data'] as Record<string, string>)['root-cert.pem'], Buffer.from(secret?.['ca-cert.pem'] ?? '', 'base64').toString('utf8'));
});

test("every request the control plane made is one k8s/base/rbac.yaml grants (least privilege is also enough privilege)", () => {
  const documents = parseAllDocuments(readFileSync(new URL('../../../../k8s/base/rbac.yaml', import.meta.url), 'utf8')).map((d) => d.toJS() as { kind: string; rules?: RbacRule[] });
  const clusterRules = documents.filter((d) => d.kind === 'ClusterRole').flatMap((d) => d.rules ?? []);
  const namespaceRules = documents.filter((d) => d.kind === 'Role').flatMap((d) => d.rules ?? []); // bound in skiff-system
  const made = new Set(api.requests.map(asRbacRequest).filter((r) => r !== undefined).map((r) => JSON.stringify(r)));
  assert.ok(made.size >= 10, `the control plane made a realistic set of requests (${made.size})`);
  const refused = [...made].map((r) => JSON.parse(r) as RbacRequest).filter((r) => !granted(clusterRules, r) && !(r.namespace === 'skiff-system' && granted(namespaceRules, r)));
  assert.deepEqual(refused, [], 'requests the RBAC would refuse');
});

interface RbacRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}
interface RbacRequest {
  group: string;
  resource: string;
  verb: string;
  namespace?: string;
  name?: string;
}

/** "GET /apis/g/v/namespaces/ns/plural/name/status?..." as Kubernetes' authorizer sees it. */
function asRbacRequest(line: string): RbacRequest | undefined {
  const [method = '', target = ''] = line.split(' ');
  const url = new URL(target, 'http://x');
  const parts = url.pathname.split('/').filter(Boolean);
  const rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  const group = parts[0] === 'api' ? '' : (parts[1] ?? '');
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length > 2) {
    namespace = rest[1];
    rest.splice(0, 2);
  }
  const [plural, name, sub] = rest;
  if (!plural) return undefined;
  const verbs: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };
  const verb = method === 'GET' ? (name ? 'get' : url.searchParams.get('watch') === 'true' ? 'watch' : 'list') : (verbs[method] ?? method);
  return { group, resource: sub ? `${plural}/${sub}` : plural, verb, ...(namespace ? { namespace } : {}), ...(name && verb !== 'create' ? { name } : {}) };
}

function granted(rules: RbacRule[], r: RbacRequest): boolean {
  return rules.some((rule) => rule.apiGroups.includes(r.group) && rule.resources.includes(r.resource) && rule.verbs.includes(r.verb) && (!rule.resourceNames || (r.name !== undefined && rule.resourceNames.includes(r.name))));
}
