import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ProxySnapshotSchema, type Loaded, type WorkloadInfo } from '@skiff/api';
import { bookinfo, build, dr, frontend, ingress, sidecar, vs, workloads } from './bookinfo.fixture.js';
import { buildSnapshot } from './build-snapshot.js';
import { prepare } from './prepare.js';

/** Deterministic shuffle (a seeded LCG) so the test itself is reproducible. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const extra: Loaded[] = [
  dr('default', 'ratings', { host: 'ratings', subsets: [{ name: 'v1', labels: { version: 'v1' } }] }),
  vs('default', 'ratings', { hosts: ['ratings'], http: [{ route: [{ destination: { host: 'ratings', subset: 'v1' } }] }] }),
];
const registry: WorkloadInfo[] = [...workloads, sidecar('reviews', 'default', 'v3', '127.0.0.1', 16005), sidecar('frontend', 'prod', 'v1', '127.0.0.2', 16101)];

describe('buildSnapshot', () => {
  test('same input in any order gives byte-identical JSON', () => {
    for (const proxy of [frontend, ingress]) {
      const reference = JSON.stringify(buildSnapshot({ resources: [...bookinfo, ...extra], workloads: registry, proxy, version: '7' }));
      for (let seed = 1; seed <= 20; seed++) {
        const again = buildSnapshot({ resources: shuffled([...bookinfo, ...extra], seed), workloads: shuffled(registry, seed * 7), proxy, version: '7' });
        assert.equal(JSON.stringify(again), reference, `seed ${seed}, proxy ${proxy.id}`);
      }
    }
  });

  test('endpoints and clusters come out sorted regardless of registration order', () => {
    const reversed = [...registry].reverse();
    const { parsed } = build([...bookinfo, ...extra], frontend, reversed);
    const names = parsed.clusters.map((c) => c.name);
    assert.deepEqual(names, [
      'outbound|9080||frontend.default.svc.cluster.local',
      'outbound|9080||frontend.prod.svc.cluster.local',
      'outbound|9080||ratings.default.svc.cluster.local',
      'outbound|9080|v1|ratings.default.svc.cluster.local',
      'outbound|9080||reviews.default.svc.cluster.local',
      'outbound|9080|v1|reviews.default.svc.cluster.local',
      'outbound|9080|v2|reviews.default.svc.cluster.local',
    ]);
    const reviews = parsed.clusters.find((c) => c.name === 'outbound|9080||reviews.default.svc.cluster.local');
    assert.deepEqual(reviews?.endpoints.map((e) => e.workload), ['reviews-v1.default', 'reviews-v2.default', 'reviews-v3.default']);
  });

  test('namespaces share work but not results: each sees its own short names and DestinationRule', () => {
    const prodRule = dr('prod', 'reviews', { host: 'reviews.default.svc.cluster.local', subsets: [{ name: 'prod-only', labels: { version: 'v2' } }] });
    const prodFrontend = registry[registry.length - 1] as WorkloadInfo;
    const prepared = prepare([...bookinfo, prodRule], registry);
    const fromDefault = prepared.snapshotFor(frontend, 'v-test');
    const fromProd = prepared.snapshotFor(prodFrontend, 'v-test');
    assert.deepEqual(fromDefault.snapshot, build([...bookinfo, prodRule], frontend, registry).snapshot);
    assert.deepEqual(fromProd.snapshot, build([...bookinfo, prodRule], prodFrontend, registry).snapshot);
    assert.ok(fromProd.snapshot.clusters.some((c) => c.subset === 'prod-only'));
    assert.ok(!fromDefault.snapshot.clusters.some((c) => c.subset === 'prod-only'));
    // From prod, reviews' routes name subset v1/v2 which prod's winning rule does not define: warned there only.
    assert.ok(fromProd.warnings.some((w) => w.includes('subset "v1" of host reviews.default.svc.cluster.local is not defined')));
    assert.ok(!fromDefault.warnings.some((w) => w.includes('is not defined')));
    // Asking again (a cache hit) reports the same warnings.
    assert.deepEqual(prepared.snapshotFor(prodFrontend, '2').warnings, fromProd.warnings);
  });

  test('carries the version and returns warnings for duplicate resources', () => {
    const dup = vs('default', 'reviews', { hosts: ['ratings'], http: [{ route: [{ destination: { host: 'ratings' } }] }] });
    const { snapshot, warnings } = buildSnapshot({ resources: [...bookinfo, dup], workloads, proxy: frontend, version: 'abc' });
    assert.equal(snapshot.version, 'abc');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /^duplicate: VirtualService default\/reviews \(mesh\.yaml:\d+\) has the same kind, namespace and name/);
  });

  test('prepare() serves 1000 proxies quickly, each snapshot valid and equal to buildSnapshot', () => {
    const namespaces = Array.from({ length: 10 }, (_, i) => `ns${i}`);
    const many: WorkloadInfo[] = [];
    for (let i = 0; i < 1000; i++) {
      const ns = namespaces[i % namespaces.length] as string;
      many.push(sidecar(`svc${i % 50}`, ns, `v${i % 3}`, `10.0.${Math.floor(i / 250)}.${i % 250}`, 20000 + i));
    }
    many.push(ingress);
    const resources: Loaded[] = [...bookinfo];
    for (let s = 0; s < 50; s++) {
      const ns = namespaces[s % namespaces.length] as string;
      resources.push(
        dr(ns, `svc${s}`, { host: `svc${s}`, subsets: [0, 1, 2].map((v) => ({ name: `v${v}`, labels: { version: `v${v}` } })) }),
        vs(ns, `svc${s}`, { hosts: [`svc${s}`], http: [{ route: [{ destination: { host: `svc${s}`, subset: 'v0' }, weight: 80 }, { destination: { host: `svc${s}`, subset: 'v1' }, weight: 20 }] }] }),
      );
    }
    const started = performance.now();
    const prepared = prepare(resources, many);
    const results = many.map((proxy) => prepared.snapshotFor(proxy, '1'));
    const elapsedMs = performance.now() - started;
    // Generous bound (this takes ~50 ms here; recomputing per proxy takes seconds).
    assert.ok(elapsedMs < 1500, `1000 snapshots took ${elapsedMs.toFixed(0)} ms`);
    // One proxy per namespace plus the gateway (parsing all 1001 big snapshots would take seconds).
    for (const result of [...results.slice(0, namespaces.length), results[1000]]) ProxySnapshotSchema.parse(result?.snapshot);
    for (const i of [0, 7, 999, 1000]) {
      const proxy = many[i] as WorkloadInfo;
      assert.equal(JSON.stringify(results[i]), JSON.stringify(buildSnapshot({ resources, workloads: many, proxy, version: '1' })));
    }
  });
});
