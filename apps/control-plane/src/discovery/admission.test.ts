import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeMessage } from '@skiff/protocol';
import { addressProblem, admitNode, normalizeIp, peerAddress, type Entitlements, type StreamPeer } from './admission.js';

const node = (over: Partial<NodeMessage> = {}): NodeMessage => ({ id: 'reviews-v1.default', kind: 'sidecar', service: 'reviews', namespace: 'default', serviceAccount: 'reviews', labels: { app: 'reviews', version: 'v1' }, address: '10.0.0.7', inboundPort: 15006, servicePort: 9080, ...over });
const reviews: StreamPeer = { identity: { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: 'reviews' }, address: '10.0.0.7', plaintext: false };
const entitlements: Entitlements = (ns, sa) => (ns === 'default' && sa === 'reviews' ? ['reviews'] : ns === 'istio-system' ? ['istio-ingressgateway'] : []);
const admit = (n: NodeMessage | null, peer = reviews) => admitNode(n, peer, { trustDomain: 'cluster.local', entitlements });

describe('admitNode', () => {
  test('the identity the certificate proves, serving a service it may serve: admitted as announced', () => {
    const result = admit(node());
    assert.ok(result.ok);
    assert.equal(result.workload.id, 'reviews-v1.default');
  });
  test('refusals say what was announced and what the certificate proves', () => {
    const refusal = (n: NodeMessage | null, peer = reviews) => {
      const r = admit(n, peer);
      return r.ok ? 'admitted' : `${r.kind}: ${r.reason}`;
    };
    assert.match(refusal(node(), { ...reviews, identity: undefined }), /^unauthenticated: no workload certificate/);
    assert.match(refusal(node(), { ...reviews, identity: { trustDomain: 'evil.example', namespace: 'default', serviceAccount: 'reviews' } }), /^identity: the certificate is for trust domain "evil.example", this mesh is "cluster.local"/);
    assert.match(refusal(node({ serviceAccount: 'ratings' })), /^identity: .*service account "ratings", but its certificate proves spiffe:\/\/cluster.local\/ns\/default\/sa\/reviews/);
    assert.match(refusal(node({ namespace: 'prod' })), /^identity: the node announces namespace "prod"/);
    assert.match(refusal(node({ service: 'ratings', labels: {} })), /^identity: spiffe:\/\/cluster.local\/ns\/default\/sa\/reviews may serve reviews, not "ratings"/);
    assert.match(refusal(node({ labels: { app: 'ratings' } })), /^identity: label app="ratings" names another service/);
    assert.match(refusal(null), /^invalid: the first request on a discovery stream must carry the node/);
    assert.match(refusal(node({ kind: 'mesh' })), /^invalid: node.kind must be "sidecar" or "gateway"/);
  });
  test("'any' (Kubernetes: endpoints come from EndpointSlices) still binds namespace and account", () => {
    const anyService = (n: NodeMessage) => admitNode(n, reviews, { trustDomain: 'cluster.local', entitlements: () => 'any' });
    assert.ok(anyService(node({ service: 'details', labels: {} })).ok);
    assert.equal(anyService(node({ serviceAccount: 'ratings' })).ok, false);
  });
  test('the plaintext debugging port proves nothing and checks nothing beyond the shape', () => {
    assert.ok(admit(node({ serviceAccount: 'anyone' }), { address: '127.0.0.1', plaintext: true }).ok);
  });
});

describe('addresses', () => {
  test("grpc-js's peer strings and IP spellings", () => {
    assert.equal(peerAddress('127.0.0.1:5123'), '127.0.0.1');
    assert.equal(peerAddress('::ffff:10.0.0.7:5123'), '10.0.0.7');
    assert.equal(peerAddress('::1:5123'), '::1');
    assert.equal(normalizeIp('[FE80::1]'), 'fe80::1');
  });
  test('an IP must be the connection\'s own; a name must resolve to it', async () => {
    const lookup = async (host: string) => (host === 'frontend' ? ['172.18.0.5'] : host === 'nowhere' ? Promise.reject(Object.assign(new Error('x'), { code: 'ENOTFOUND' })) : ['10.1.1.1']);
    assert.equal(await addressProblem('10.0.0.7', '10.0.0.7', lookup), undefined);
    assert.equal(await addressProblem('::ffff:10.0.0.7', '10.0.0.7', lookup), undefined);
    assert.match((await addressProblem('10.0.0.8', '10.0.0.7', lookup)) ?? '', /announces address 10.0.0.8, but its connection comes from 10.0.0.7/);
    assert.equal(await addressProblem('frontend', '172.18.0.5', lookup), undefined);
    assert.match((await addressProblem('ratings', '172.18.0.5', lookup)) ?? '', /"ratings" \(10.1.1.1\), but its connection comes from 172.18.0.5/);
    assert.match((await addressProblem('nowhere', '172.18.0.5', lookup)) ?? '', /does not resolve \(ENOTFOUND\)/);
  });
});
