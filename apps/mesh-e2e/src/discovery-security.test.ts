// The discovery port as an attacker on the same host sees it, with grpc-js and the published
// .proto files (libs/testing's outsider client, not Skiff's): no certificate gets nothing, and a
// real certificate gets only what its identity is entitled to.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { clusterName, serviceFqdn } from '@skiff/api';
import { freePort } from '@skiff/launcher';
import { ProxyAgent, request } from 'undici';
import { appAdmin, getJson, outsiderCertificate, outsiderStream, startTestMesh, waitFor, type OutsiderNode, type TestMesh } from '@skiff/testing';
import { meshConfig } from './fixtures.js';

const REVIEWS = clusterName('outbound', 9080, undefined, serviceFqdn('reviews', 'default'));

describe('discovery trusts no one', () => {
  let mesh: TestMesh;
  let xds: string;
  let root: string;
  let decoy: Server;
  let decoyPort: number;
  const token = (workload: string) => readFileSync(mesh.state?.tokenFiles[workload] as string, 'utf8').trim();
  const node = (over: Partial<OutsiderNode>): OutsiderNode => ({ id: 'intruder.default', kind: 'sidecar', service: 'ratings', namespace: 'default', serviceAccount: 'ratings', labels: {}, address: '127.0.0.1', inboundPort: decoyPort, servicePort: 9080, ...over });
  const reviewsEndpoints = async () => {
    const { body } = await getJson<Array<{ name: string; endpoints: Array<{ address: string; workload: string }> }>>(`${mesh.admin['frontend']}/clusters`);
    return (body.find((c) => c.name === REVIEWS)?.endpoints ?? []).map((e) => `${e.workload} ${e.address}`).sort();
  };
  const registry = async () => (await getJson<Array<{ id: string; address: string; inboundPort: number }>>(`${mesh.controlPlane}/debug/registryz`)).body.map((w) => `${w.id} ${w.address}:${w.inboundPort}`).sort();

  before(async () => {
    mesh = await startTestMesh({ config: meshConfig(100, 0) });
    xds = `127.0.0.1:${mesh.plan.ports.xds}`;
    root = readFileSync(join(mesh.state?.caDir as string, 'root-cert.pem'), 'utf8');
    // Where an intruder's endpoint would point: a port that accepts and hangs up.
    decoyPort = await freePort();
    decoy = createServer((socket) => socket.destroy());
    await new Promise<void>((r) => decoy.listen(decoyPort, '127.0.0.1', () => r()));
  });
  after(async () => {
    decoy?.close();
    await mesh?.stop();
  });

  test('a plaintext client gets nothing: the port speaks only TLS', async () => {
    const before = await registry();
    const stream = outsiderStream(xds, { plaintext: true }, node({ service: 'reviews', serviceAccount: 'reviews', id: 'reviews-v1.default' }));
    const result = await stream.settle();
    stream.close();
    assert.deepEqual(result.versions, [], 'no snapshot');
    assert.match(result.ended ?? '', /^UNAVAILABLE/);
    assert.deepEqual(await registry(), before);
  });

  test('TLS without a workload certificate: refused as unauthenticated, no snapshot, no endpoint', async () => {
    const before = await registry();
    const stream = outsiderStream(xds, { rootPem: root }, node({ service: 'reviews', serviceAccount: 'reviews', kind: 'gateway' }));
    const result = await stream.settle();
    stream.close();
    assert.deepEqual(result.versions, []);
    assert.match(result.ended ?? '', /^UNAUTHENTICATED: no workload certificate was presented/);
    assert.deepEqual(await registry(), before);
  });

  test("ratings' real certificate can announce neither reviews, another identity, a gateway, nor another host's address", async () => {
    const endpointsBefore = await reviewsEndpoints();
    const registryBefore = await registry();
    assert.equal(endpointsBefore.length, 2);
    const cert = await outsiderCertificate(xds, root, token('ratings'), { namespace: 'default', serviceAccount: 'ratings' });
    const attempts: Array<[string, Partial<OutsiderNode>, RegExp]> = [
      ['reviews with its own identity', { service: 'reviews', labels: { version: 'v1' } }, /^PERMISSION_DENIED: spiffe:\/\/cluster\.local\/ns\/default\/sa\/ratings may serve ratings, not "reviews"/],
      ["reviews' identity", { service: 'reviews', serviceAccount: 'reviews' }, /^PERMISSION_DENIED: the node announces namespace "default" and service account "reviews", but its certificate proves spiffe:\/\/cluster\.local\/ns\/default\/sa\/ratings/],
      ['the ingress gateway', { kind: 'gateway', service: 'istio-ingressgateway', namespace: 'istio-system', serviceAccount: 'istio-ingressgateway-service-account' }, /^PERMISSION_DENIED: the node announces namespace "istio-system"/],
      ['ratings at another host', { address: '10.9.8.7' }, /^PERMISSION_DENIED: the node announces address 10\.9\.8\.7, but its connection comes from 127\.0\.0\.1/],
      ['ratings under a reviews label', { labels: { app: 'reviews' } }, /^PERMISSION_DENIED: label app="reviews" names another service than the announced "ratings"/],
    ];
    for (const [what, over, refusal] of attempts) {
      const stream = outsiderStream(xds, { rootPem: root, ...cert }, node(over));
      const result = await stream.settle();
      stream.close();
      assert.deepEqual(result.versions, [], `${what}: no snapshot`);
      assert.match(result.ended ?? '(still open)', refusal, what);
    }
    assert.deepEqual(await reviewsEndpoints(), endpointsBefore, "frontend's reviews endpoints are untouched");
    assert.deepEqual(await registry(), registryBefore);
    const refused = (await (await fetch(`${mesh.controlPlane}/metrics`)).text()).match(/skiff_xds_refused_streams\{reason="(\w+)"\} (\d+)/g);
    assert.ok(refused?.some((line) => /identity"\} [1-9]/.test(line)), `refusals are counted: ${refused?.join(', ')}`);
  });

  test("a stream reusing a real endpoint's id adds its own endpoint beside it, never instead of it, and it leaves within seconds of its stream", async () => {
    const real = await reviewsEndpoints();
    // reviews-v2's own token: an identity entitled to serve reviews, announcing reviews-v1's id.
    const cert = await outsiderCertificate(xds, root, token('reviews-v2'), { namespace: 'default', serviceAccount: 'reviews' });
    const stream = outsiderStream(xds, { rootPem: root, ...cert }, node({ id: 'reviews-v1.default', service: 'reviews', serviceAccount: 'reviews', labels: { version: 'v1' } }));
    const result = await stream.settle();
    assert.equal(result.ended, undefined, 'an identity entitled to reviews is served');
    assert.equal(result.versions.length, 1, 'its own class of config, once');
    await waitFor('the second endpoint for the id', async () => (await reviewsEndpoints()).length === 3, 5_000);
    const withImpostor = await reviewsEndpoints();
    for (const endpoint of real) assert.ok(withImpostor.includes(endpoint), `the real ${endpoint} stays`);
    stream.close();
    const closedAt = Date.now();
    await waitFor('the endpoint of the closed stream to leave', async () => (await reviewsEndpoints()).length === 2, 5_000);
    assert.ok(Date.now() - closedAt < 4_000, `withdrawn after ${Date.now() - closedAt} ms`);
    assert.deepEqual(await reviewsEndpoints(), real);
  });

  test("reviews' demo controls answer only on their own loopback port: through its sidecar, in plaintext or through the mesh, they are not there", async () => {
    const admin = appAdmin(mesh, 'reviews-v2');
    const before = await admin.behaviour();
    const inbound = mesh.plan.ports.workloads['reviews-v2']?.inbound as number;
    const outbound = mesh.plan.ports.workloads['frontend']?.outbound as number;
    const body = JSON.stringify({ failPercent: 100 });
    // Plaintext straight at reviews-v2's inbound listener (PERMISSIVE lets it in), and through frontend's sidecar as its app would call.
    const viaInbound = await request(`http://127.0.0.1:${inbound}/admin/behaviour`, { method: 'POST', headers: { host: 'reviews:9080', 'content-type': 'application/json' }, body });
    assert.equal(viaInbound.statusCode, 404);
    await viaInbound.body.dump();
    const frontendSidecar = new ProxyAgent({ uri: `http://127.0.0.1:${outbound}`, proxyTunnel: false });
    try {
      for (let i = 0; i < 4; i++) {
        // The route sends these to reviews v1, which has the control on its own port only, as v2 does.
        const viaMesh = await request('http://reviews:9080/admin/behaviour', { dispatcher: frontendSidecar, method: 'POST', headers: { 'content-type': 'application/json' }, body });
        assert.equal(viaMesh.statusCode, 404);
        await viaMesh.body.dump();
      }
    } finally {
      await frontendSidecar.close();
    }
    assert.deepEqual(await admin.behaviour(), before, 'nothing changed');
    assert.deepEqual(await admin.setBehaviour({ failPercent: 0 }), { failPercent: 0, extraLatencyMs: 0 }, 'on its own port, the control works');
  });
});
