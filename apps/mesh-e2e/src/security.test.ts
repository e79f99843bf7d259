// Identity and mutual TLS, end to end: the control plane's CA issues every proxy a SPIFFE
// certificate; sidecars talk mTLS; PeerAuthentication and AuthorizationPolicy are enforced at
// the inbound listener of the real proxies.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyConfig, getJson, runConcurrently, sidecarClient, startTestMesh, waitFor, type TestMesh } from '@skiff/testing';
import { meshConfig, type Product } from './fixtures.js';
import { clientCert, directCall, meshCa, peerAuthentication, ratingsPolicy, strangerCa } from './security-fixtures.js';

interface Certs {
  identity: { spiffeId: string; state: string; notAfter: string; rotations: number };
  inbound: { mtlsConnections: number; plaintextConnections: number; refused: number };
}

describe('mesh security: identities, mTLS, PeerAuthentication, AuthorizationPolicy', () => {
  let mesh: TestMesh;
  const inboundOf = (w: string) => `http://127.0.0.1:${mesh.plan.ports.workloads[w]?.inbound}/reviews/1`;
  const certsOf = async (w: string) => (await getJson<Certs>(`${mesh.admin[w]}/certs`)).body;
  const product = () => getJson<Product>(`${mesh.gateway}/api/product/1`);

  before(async () => {
    // Short-lived certificates, so rotation happens during the tests (at half-life: every ~10 s).
    mesh = await startTestMesh({ config: meshConfig(50, 50), controlPlaneArgs: ['--cert-ttl', '20s', '--max-cert-ttl', '20s'] });
  });
  after(async () => {
    await mesh?.stop();
  });

  test('every proxy holds a SPIFFE certificate for its own identity, and the mesh path is mTLS', async () => {
    const res = await product();
    assert.equal(res.status, 200);
    const certs = await certsOf('reviews-v1');
    assert.equal(certs.identity.spiffeId, 'spiffe://cluster.local/ns/default/sa/reviews');
    assert.equal(certs.identity.state, 'ready');
    const gateway = await certsOf('istio-ingressgateway');
    assert.equal(gateway.identity.spiffeId, 'spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account');
    await runConcurrently(20, 4, () => product());
    const frontend = await certsOf('frontend');
    assert.ok(frontend.inbound.mtlsConnections > 0, 'the gateway reached frontend over mTLS');
    assert.equal(frontend.inbound.plaintextConnections, 0, 'no sidecar-to-sidecar hop was plaintext');
  });

  test('PERMISSIVE (the default) accepts plaintext and mTLS on the same port', async () => {
    const plain = await directCall(inboundOf('reviews-v1'));
    assert.equal(plain.status, 200, JSON.stringify(plain));
    const ca = meshCa(mesh.state?.caDir as string);
    const mtls = await directCall(inboundOf('reviews-v1'), await clientCert(ca, 'frontend'), 'spiffe://cluster.local/ns/default/sa/reviews');
    assert.equal(mtls.status, 200, JSON.stringify(mtls));
  });

  test('moving the mesh from PERMISSIVE to STRICT loses no request of meshed callers under load', async () => {
    let running = true;
    let total = 0;
    const failures: string[] = [];
    const load = runConcurrently(1_000_000, 4, async () => {
      if (!running) return;
      const res = await product().catch((e: unknown) => ({ status: 0, body: { error: String(e) } as Product }));
      total++;
      if (res.status !== 200) failures.push(`${res.status} ${JSON.stringify(res.body).slice(0, 120)}`);
    });
    await waitFor('load', () => total > 30);
    await applyConfig(mesh, { 'peer-authentication.yaml': peerAuthentication('STRICT') });
    const end = total + 100;
    await waitFor('100 more requests under STRICT', () => total >= end, 30_000);
    running = false;
    await load;
    assert.deepEqual(failures, [], `${failures.length} of ${total} failed`);
  });

  test('under STRICT a plaintext client, a stranger CA and an expired certificate are all refused; the mesh path works', async () => {
    const plain = await directCall(inboundOf('reviews-v1'));
    assert.equal(plain.status, undefined, `plaintext must be refused, got ${JSON.stringify(plain)}`);
    const stranger = await directCall(inboundOf('reviews-v1'), await clientCert(await strangerCa(), 'frontend'));
    assert.equal(stranger.status, undefined, `another CA must be refused, got ${JSON.stringify(stranger)}`);
    const ca = meshCa(mesh.state?.caDir as string);
    // Issued now for one second (the CA back-dates notBefore by a minute), expired once we use it.
    const shortLived = await clientCert(ca, 'frontend', new Date(), 1000);
    await new Promise((r) => setTimeout(r, 2000));
    const expired = await directCall(inboundOf('reviews-v1'), shortLived);
    assert.equal(expired.status, undefined, `an expired certificate must be refused, got ${JSON.stringify(expired)}`);
    const valid = await directCall(inboundOf('reviews-v1'), await clientCert(ca, 'frontend'), 'spiffe://cluster.local/ns/default/sa/reviews');
    assert.equal(valid.status, 200, 'a valid mesh certificate still works');
    assert.equal((await product()).status, 200);
    assert.ok((await certsOf('reviews-v1')).inbound.refused >= 3);
  });

  test('authorization: ratings accepts reviews and refuses frontend with 403; path and method rules; DENY wins', async () => {
    await applyConfig(mesh, { 'ratings-authz.yaml': ratingsPolicy });
    const fromFrontend = sidecarClient(mesh, 'frontend');
    const fromReviews = sidecarClient(mesh, 'reviews-v2');
    try {
      const denied = await fromFrontend.get('http://ratings:9080/ratings/1');
      assert.equal(denied.status, 403);
      assert.equal(denied.text, 'RBAC: access denied');
      assert.equal((await fromReviews.get('http://ratings:9080/ratings/1')).status, 200);
      assert.equal((await fromReviews.get('http://ratings:9080/healthz')).status, 403, 'paths outside /ratings/* are not allowed');
      assert.equal((await fromReviews.get('http://ratings:9080/ratings/0')).status, 403, 'DENY wins over ALLOW');
      // Through the whole chain, reviews v2 still gets its stars.
      const res = await getJson<Product>(`${mesh.gateway}/api/product/1`, { 'end-user': 'jason' });
      assert.equal(res.status, 200);
    } finally {
      await fromFrontend.close();
      await fromReviews.close();
    }
  });

  test('certificates rotate at half-life with no failed request', async (t) => {
    const before = await certsOf('reviews-v1');
    const results = await runConcurrently(400, 4, async () => (await product()).status);
    const rotated = await waitFor('a rotation', async () => {
      const now = await certsOf('reviews-v1');
      return now.identity.rotations > before.identity.rotations ? now : undefined;
    }, 15_000);
    t.diagnostic(`rotations of reviews-v1 so far: ${rotated.identity.rotations}; notAfter ${rotated.identity.notAfter}`);
    assert.deepEqual(new Set(results), new Set([200]));
    const after = await runConcurrently(100, 4, async () => (await product()).status);
    assert.deepEqual(new Set(after), new Set([200]));
  });
});
