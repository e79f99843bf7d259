// The real mesh (control plane, gateway, sidecars, sample apps) with the control plane in
// Kubernetes mode: its config is custom resources on an API server stand-in (no cluster runs
// here; libs/testing/src/kube-api-standin.ts follows the documented list/watch protocol), and
// every proxy gets its certificate by a TokenReview of its token, no bootstrap-token file.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { getJson, runConcurrently, startKubeApiStandIn, startTestMesh, waitFor, type KubeApiStandIn, type TestMesh } from '@skiff/testing';
import { meshConfig, reviewsVirtualService, type Product } from './fixtures.js';

type KubeObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec: unknown; status?: { conditions?: Array<Record<string, unknown>> } };
const objectsOf = (yamlText: string) => parseAllDocuments(yamlText).map((d) => d.toJS() as KubeObject).filter((o) => o?.kind);

describe('local mesh with its config from the Kubernetes API (stand-in)', () => {
  let api: KubeApiStandIn;
  let mesh: TestMesh;
  let dir: string;
  const product = (headers: Record<string, string> = {}) => getJson<Product>(`${mesh.gateway}/api/product/1`, headers);
  const applyYaml = (text: string) => {
    for (const o of objectsOf(text)) api.apply({ ...o, metadata: { ...o.metadata, namespace: o.metadata.namespace ?? 'default' } });
  };

  before(async () => {
    api = await startKubeApiStandIn();
    for (const text of Object.values(meshConfig(100, 0))) applyYaml(text);
    // In Kubernetes mode endpoints come from EndpointSlices: the Services' slices list the pods'
    // addresses (here every process runs on 127.0.0.1), as the endpoint-slice controller writes them.
    for (const service of ['frontend', 'reviews', 'ratings']) {
      api.apply({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: `${service}-abcde`, namespace: 'default', labels: { 'kubernetes.io/service-name': service } }, addressType: 'IPv4', endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }], ports: [{ name: 'http', port: 9080, protocol: 'TCP' }] });
    }
    dir = mkdtempSync(join(tmpdir(), 'skiff-kube-e2e-'));
    const kubeconfig = join(dir, 'kubeconfig.yaml');
    writeFileSync(kubeconfig, api.kubeconfig); // as kubectl writes one: https, the cluster's CA, a bearer token
    const noBootstrapTokens = join(dir, 'no-tokens.json');
    writeFileSync(noBootstrapTokens, '{"tokens":[]}');
    mesh = await startTestMesh({
      config: {}, // the directory stays empty: in this mode the control plane does not read it
      // The tokens the proxies show are, for the stand-in's TokenReview, their service accounts' projected tokens.
      onState: (state) => {
        const { tokens } = JSON.parse(readFileSync(state.tokensFile, 'utf8')) as { tokens: Array<{ token: string; namespace: string; serviceAccount: string }> };
        for (const t of tokens) api.serviceAccountTokens.set(t.token, { username: `system:serviceaccount:${t.namespace}:${t.serviceAccount}`, audiences: ['skiff'] });
      },
      controlPlaneArgs: ['--config-source', 'kubernetes', '--kubeconfig', kubeconfig, '--lease', 'skiff-system/skiff-control-plane', '--webhook-port', 'off', '--tokens', noBootstrapTokens],
    });
  });
  after(async () => {
    await mesh?.stop();
    await api?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('routes follow the custom resources: the header match and the 100% v1 route', async () => {
    const jason = await runConcurrently(20, 4, async () => (await product({ 'end-user': 'jason' })).body.reviewsVersion);
    assert.deepEqual(new Set(jason), new Set(['v2']));
    const others = await runConcurrently(40, 4, async () => (await product()).body.reviewsVersion);
    assert.deepEqual(new Set(others), new Set(['v1']));
  });

  test('every proxy got its certificate through a TokenReview, and the mesh path is mTLS', async () => {
    const reviews = api.requests.filter((r) => r.startsWith('POST /apis/authentication.k8s.io/v1/tokenreviews')).length;
    assert.ok(reviews >= 5, `one TokenReview per proxy at least (gateway + 4 sidecars), saw ${reviews}`);
    const certs = (await getJson<{ identity: { spiffeId: string; state: string }; inbound: { mtlsConnections: number; plaintextConnections: number } }>(`${mesh.admin['reviews-v1']}/certs`)).body;
    assert.equal(certs.identity.spiffeId, 'spiffe://cluster.local/ns/default/sa/reviews');
    assert.equal(certs.identity.state, 'ready');
    assert.ok(certs.inbound.mtlsConnections > 0);
    assert.equal(certs.inbound.plaintextConnections, 0);
  });

  test('a VirtualService changed through the API moves the traffic; a bad one is refused on its status and changes nothing', async () => {
    applyYaml(reviewsVirtualService(0, 100));
    await waitFor('traffic on v2', async () => (await product()).body.reviewsVersion === 'v2', 20_000);
    const after = await runConcurrently(40, 4, async () => (await product()).body.reviewsVersion);
    assert.deepEqual(new Set(after), new Set(['v2']));

    const [bad] = objectsOf(reviewsVirtualService(0, 100).replace(/weight: 100/, 'weight: "all"'));
    assert.ok(bad && JSON.stringify(bad).includes('"all"'), 'the fixture changed');
    api.apply({ ...bad, metadata: { ...bad.metadata, namespace: bad.metadata.namespace ?? 'default' } });
    const accepted = () => (api.get('VirtualService', 'default', bad.metadata.name) as KubeObject | undefined)?.status?.conditions?.find((c) => c['type'] === 'Accepted');
    await waitFor('the refusal on the status', () => accepted()?.['status'] === 'False', 20_000);
    assert.match(String(accepted()?.['message']), /weight/);
    const still = await runConcurrently(40, 4, async () => (await product()).body);
    assert.deepEqual(new Set(still.map((b) => b.reviewsVersion)), new Set(['v2']), 'the last good VirtualService stays in force');
  });

  test("an endpoint exists only where a Service's EndpointSlice lists it: without its slice, the connected ratings proxy is nobody's endpoint", async () => {
    const ratingsEndpoints = async () => {
      const { body } = await getJson<Array<{ name: string; endpoints: unknown[] }>>(`${mesh.admin['reviews-v2']}/clusters`);
      return body.find((c) => c.name === 'outbound|9080||ratings.default.svc.cluster.local')?.endpoints.length ?? 0;
    };
    assert.equal(await ratingsEndpoints(), 1);
    const slice = api.get('EndpointSlice', 'default', 'ratings-abcde');
    assert.ok(slice);
    api.delete('EndpointSlice', 'default', 'ratings-abcde');
    await waitFor('ratings to leave with its EndpointSlice', async () => (await ratingsEndpoints()) === 0, 10_000);
    const { body } = await getJson<Array<{ proxy: string }>>(`${mesh.controlPlane}/debug/syncz`);
    assert.ok(body.some((p) => p.proxy === 'ratings.default'), 'its proxy is still connected; it just serves nobody');
    const { metadata, ...rest } = slice as { metadata: { name: string; namespace?: string; labels?: Record<string, string> } };
    api.apply({ ...rest, apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: metadata.name, namespace: 'default', labels: metadata.labels } } as never);
    await waitFor('ratings to come back with its EndpointSlice', async () => (await ratingsEndpoints()) === 1, 10_000);
  });
});
