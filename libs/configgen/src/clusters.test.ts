import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { build, dr, frontend, ingress, ratings, reviewsRule, reviewsV1, reviewsV2, workloads } from './bookinfo.fixture.js';

describe('clusters', () => {
  test('default cluster per service port with every endpoint, plus one per subset with matching endpoints', () => {
    const { parsed, warnings } = build([reviewsRule], frontend);
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      parsed.clusters.map((c) => c.name),
      [
        'outbound|9080||frontend.default.svc.cluster.local',
        'outbound|9080||ratings.default.svc.cluster.local',
        'outbound|9080||reviews.default.svc.cluster.local',
        'outbound|9080|v1|reviews.default.svc.cluster.local',
        'outbound|9080|v2|reviews.default.svc.cluster.local',
      ],
    );
    const byName = new Map(parsed.clusters.map((c) => [c.name, c]));
    const all = byName.get('outbound|9080||reviews.default.svc.cluster.local');
    assert.deepEqual(all?.endpoints.map((e) => e.workload), ['reviews-v1.default', 'reviews-v2.default']);
    assert.deepEqual(all?.endpoints[0], { address: '127.0.0.1', port: 16002, workload: 'reviews-v1.default', labels: { app: 'reviews', version: 'v1' }, identity: 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews', tlsMode: 'istio' });
    assert.deepEqual(byName.get('outbound|9080|v1|reviews.default.svc.cluster.local')?.endpoints.map((e) => e.workload), ['reviews-v1.default']);
    assert.deepEqual(byName.get('outbound|9080|v2|reviews.default.svc.cluster.local')?.endpoints.map((e) => e.workload), ['reviews-v2.default']);
    assert.equal(byName.get('outbound|9080|v1|reviews.default.svc.cluster.local')?.subset, 'v1');
    // The gateway is not a service: no cluster for it.
    assert.ok(!parsed.clusters.some((c) => c.service.includes('ingressgateway')));
  });

  test('subset traffic policy is merged field by field over the top-level policy', () => {
    const { parsed } = build([reviewsRule], frontend);
    const byName = new Map(parsed.clusters.map((c) => [c.name, c]));
    assert.deepEqual(byName.get('outbound|9080||reviews.default.svc.cluster.local')?.policy, { loadBalancer: { kind: 'ROUND_ROBIN' }, connectionPool: { connectTimeoutMs: 10_000, idleTimeoutMs: 3_600_000 }, tlsMode: 'ISTIO_MUTUAL' });
    assert.deepEqual(byName.get('outbound|9080|v1|reviews.default.svc.cluster.local')?.policy, { loadBalancer: { kind: 'ROUND_ROBIN' }, connectionPool: { connectTimeoutMs: 10_000, idleTimeoutMs: 3_600_000 }, tlsMode: 'ISTIO_MUTUAL' });
    assert.deepEqual(byName.get('outbound|9080|v2|reviews.default.svc.cluster.local')?.policy, { loadBalancer: { kind: 'RANDOM' }, connectionPool: { connectTimeoutMs: 10_000, idleTimeoutMs: 3_600_000 }, tlsMode: 'ISTIO_MUTUAL' });
    assert.equal(byName.get('outbound|9080||ratings.default.svc.cluster.local')?.policy, undefined);
  });

  test("a port's name or appProtocol says how its upstream is spoken to; an unnamed port leaves it to the client", () => {
    const registry = [frontend, { ...reviewsV1, servicePortName: 'http-web' }, reviewsV2, { ...ratings, servicePortName: 'grpc-ratings' }, ingress];
    const { parsed } = build([reviewsRule], frontend, registry);
    const protocolOf = (name: string) => parsed.clusters.find((c) => c.name === name)?.protocol;
    assert.equal(protocolOf('outbound|9080||ratings.default.svc.cluster.local'), 'HTTP/2');
    assert.equal(protocolOf('outbound|9080||reviews.default.svc.cluster.local'), 'HTTP/1.1', 'one workload named the port; the other left it unnamed');
    assert.equal(protocolOf('outbound|9080|v2|reviews.default.svc.cluster.local'), 'HTTP/1.1', 'subsets share their port');
    assert.equal(protocolOf('outbound|9080||frontend.default.svc.cluster.local'), undefined, 'unnamed: sniffed, as the client speaks');
    const declared = build([], frontend, [frontend, { ...ratings, servicePortName: 'web', appProtocol: 'kubernetes.io/h2c' }]).parsed;
    assert.equal(declared.clusters.find((c) => c.service.startsWith('ratings'))?.protocol, 'HTTP/2');
  });

  test('a subset whose labels match no workload gets an empty cluster', () => {
    const rule = dr('default', 'reviews', { host: 'reviews', subsets: [{ name: 'v3', labels: { version: 'v3' } }] });
    const { parsed } = build([rule], frontend);
    assert.deepEqual(parsed.clusters.find((c) => c.name === 'outbound|9080|v3|reviews.default.svc.cluster.local')?.endpoints, []);
  });

  test('DestinationRule short host resolves in its own namespace', () => {
    // A rule for "reviews" written in prod is about reviews.prod, not reviews.default.
    const rule = dr('prod', 'reviews', { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }] });
    const { parsed } = build([rule], frontend);
    assert.ok(!parsed.clusters.some((c) => c.subset === 'v1'));
    const fqdnRule = dr('prod', 'reviews', { host: 'reviews.default.svc.cluster.local', subsets: [{ name: 'v1', labels: { version: 'v1' } }] });
    assert.ok(build([fqdnRule], frontend).parsed.clusters.some((c) => c.name === 'outbound|9080|v1|reviews.default.svc.cluster.local'));
  });

  test("two rules for one host: the proxy's namespace wins, then namespace/name order; the conflict is reported", () => {
    const a = dr('default', 'reviews-a', { host: 'reviews.default.svc.cluster.local', subsets: [{ name: 'a', labels: { version: 'v1' } }] });
    const b = dr('default', 'reviews-b', { host: 'reviews', subsets: [{ name: 'b', labels: { version: 'v1' } }] });
    const c = dr('istio-system', 'reviews-c', { host: 'reviews.default.svc.cluster.local', subsets: [{ name: 'c', labels: { version: 'v1' } }] });
    const fromDefault = build([c, b, a], frontend);
    assert.deepEqual(fromDefault.parsed.clusters.filter((x) => x.subset).map((x) => x.subset), ['a']);
    assert.equal(fromDefault.warnings.length, 1);
    assert.match(fromDefault.warnings[0] ?? '', /conflict: 3 DestinationRules for host reviews\.default\.svc\.cluster\.local; using DestinationRule default\/reviews-a \(mesh\.yaml:\d+\)/);
    // The ingress lives in istio-system, so the rule there wins for it.
    const fromGateway = build([c, b, a], ingress);
    assert.deepEqual(fromGateway.parsed.clusters.filter((x) => x.subset).map((x) => x.subset), ['c']);
  });

  test('exportTo "." hides a rule from other namespaces', () => {
    const rule = dr('default', 'reviews', { host: 'reviews', exportTo: ['.'], subsets: [{ name: 'v1', labels: { version: 'v1' } }] });
    assert.ok(build([rule], frontend).parsed.clusters.some((c) => c.subset === 'v1'));
    assert.ok(!build([rule], ingress).parsed.clusters.some((c) => c.subset === 'v1'));
  });

  test('gateways get clusters for every service too', () => {
    const { parsed } = build([reviewsRule], ingress, workloads);
    assert.equal(parsed.clusters.length, 5);
  });

  test('h2UpgradePolicy UPGRADE carries HTTP/1.1 between sidecars as HTTP/2: on http and sniffed ports, per subset, never to a TCP port', () => {
    const http = (w: typeof reviewsV1) => ({ ...w, servicePortName: 'http' });
    const upgrade = dr('default', 'reviews', {
      host: 'reviews',
      trafficPolicy: { connectionPool: { http: { h2UpgradePolicy: 'UPGRADE' } } },
      subsets: [
        { name: 'v1', labels: { version: 'v1' } },
        { name: 'v2', labels: { version: 'v2' }, trafficPolicy: { connectionPool: { http: { h2UpgradePolicy: 'DO_NOT_UPGRADE' } } } },
      ],
    });
    const named = build([upgrade], frontend, workloads.map((w) => (w.service === 'reviews' ? http(w) : w)));
    const protocol = (r: typeof named, name: string) => r.parsed.clusters.find((c) => c.name === name)?.protocol;
    assert.equal(protocol(named, 'outbound|9080||reviews.default.svc.cluster.local'), 'HTTP/2');
    assert.equal(protocol(named, 'outbound|9080|v1|reviews.default.svc.cluster.local'), 'HTTP/2');
    assert.equal(protocol(named, 'outbound|9080|v2|reviews.default.svc.cluster.local'), 'HTTP/1.1', "the subset's DO_NOT_UPGRADE wins");
    assert.equal(protocol(named, 'outbound|9080||ratings.default.svc.cluster.local'), undefined, 'no rule, no upgrade');
    const sniffed = build([upgrade], frontend);
    assert.equal(protocol(sniffed, 'outbound|9080||reviews.default.svc.cluster.local'), 'HTTP/2');
    const tcp = build([upgrade], frontend, workloads.map((w) => (w.service === 'reviews' ? { ...w, servicePortName: 'tcp' } : w)));
    assert.equal(protocol(tcp, 'outbound|9080||reviews.default.svc.cluster.local'), undefined);
  });
});
