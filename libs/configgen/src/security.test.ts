import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigFile } from '@skiff/api';
import type { AuthorizationPolicy, AuthorizationPolicySpec, Loaded, PeerAuthentication, PeerAuthenticationSpec, RequestAuthentication, RequestAuthenticationSpec, WorkloadInfo } from '@skiff/api';
import { bookinfo, build, frontend, ingress, ratings, reviewsV1, reviewsV2, sidecar, workloads } from './bookinfo.fixture.js';
import { buildSnapshot } from './build-snapshot.js';
import { prepare } from './prepare.js';

let line = 100;
const source = () => ({ file: 'security.yaml', line: line++ });
const pa = (namespace: string, name: string, spec: PeerAuthenticationSpec): Loaded<PeerAuthentication> => ({
  apiVersion: 'security.istio.io/v1',
  kind: 'PeerAuthentication',
  metadata: { name, namespace },
  spec,
  source: source(),
});
const ap = (namespace: string, name: string, spec: AuthorizationPolicySpec): Loaded<AuthorizationPolicy> => ({
  apiVersion: 'security.istio.io/v1',
  kind: 'AuthorizationPolicy',
  metadata: { name, namespace },
  spec,
  source: source(),
});
const ra = (namespace: string, name: string, spec: RequestAuthenticationSpec): Loaded<RequestAuthentication> => ({
  apiVersion: 'security.istio.io/v1',
  kind: 'RequestAuthentication',
  metadata: { name, namespace },
  spec,
  source: source(),
});

const fooReviews = sidecar('reviews', 'foo', 'v1', '127.0.0.9', 16009);
const registry: WorkloadInfo[] = [...workloads, fooReviews];
const security = (resources: readonly Loaded[], proxy: WorkloadInfo = reviewsV1) => {
  const result = build([...bookinfo, ...resources], proxy, registry);
  assert.ok(result.parsed.security, 'every snapshot carries a security section');
  return { ...result.parsed.security, warnings: result.warnings };
};
const mode = (resources: readonly Loaded[], proxy: WorkloadInfo = reviewsV1) => security(resources, proxy).peerAuthentication.mode;

const reviewsSelector = { matchLabels: { app: 'reviews' } };

describe('security section', () => {
  test('without policies: PERMISSIVE (Istio\'s default), nothing to authorize, trust domain cluster.local', () => {
    const s = security([]);
    assert.deepEqual(s.peerAuthentication, { mode: 'PERMISSIVE', portLevel: {}, policies: [] });
    assert.deepEqual(s.authorization, []);
    assert.deepEqual(s.requestAuthentication, []);
    assert.equal(s.trustDomain, 'cluster.local');
    assert.deepEqual(s.warnings, []);
  });

  test('endpoints carry the SPIFFE identity of their workload and Istio auto-mTLS mode', () => {
    const { parsed } = build(bookinfo, frontend);
    const reviews = parsed.clusters.find((c) => c.name === 'outbound|9080||reviews.default.svc.cluster.local');
    assert.deepEqual(
      reviews?.endpoints.map((e) => [e.workload, e.identity, e.tlsMode]),
      [
        ['reviews-v1.default', 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews', 'istio'],
        ['reviews-v2.default', 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews', 'istio'],
      ],
    );
  });

  test('the trust domain is a prepare option, used for identities and reported in the section', () => {
    const { snapshot } = buildSnapshot({ resources: bookinfo, workloads, proxy: frontend, version: '1', trustDomain: 'example.org' });
    assert.equal(snapshot.security?.trustDomain, 'example.org');
    const ids = snapshot.clusters.flatMap((c) => c.endpoints.map((e) => e.identity));
    assert.ok(ids.length > 0 && ids.every((id) => id?.startsWith('spiffe://example.org/ns/default/sa/')), ids.join(', '));
    assert.equal(prepare(bookinfo, workloads, { trustDomain: 'td.local' }).snapshotFor(frontend, '1').snapshot.security?.trustDomain, 'td.local');
  });

  describe('PeerAuthentication precedence', () => {
    const mesh = (m: PeerAuthenticationSpec['mtls']) => pa('istio-system', 'default', { mtls: m });
    const ns = (m: PeerAuthenticationSpec['mtls'], namespace = 'default') => pa(namespace, 'default', { mtls: m });
    const wl = (spec: Omit<PeerAuthenticationSpec, 'selector'>, namespace = 'default', name = 'reviews') => pa(namespace, name, { selector: reviewsSelector, ...spec });

    test('mesh-wide policy applies everywhere, gateways included', () => {
      assert.equal(mode([mesh({ mode: 'STRICT' })]), 'STRICT');
      assert.equal(mode([mesh({ mode: 'STRICT' })], fooReviews), 'STRICT');
      assert.equal(mode([mesh({ mode: 'STRICT' })], ingress), 'STRICT');
    });
    test('namespace-wide overrides mesh-wide, only in its namespace', () => {
      const config = [mesh({ mode: 'STRICT' }), ns({ mode: 'DISABLE' })];
      assert.equal(mode(config), 'DISABLE');
      assert.equal(mode(config, fooReviews), 'STRICT');
    });
    test('workload policy overrides namespace-wide, only for selected workloads in its namespace', () => {
      const config = [mesh({ mode: 'DISABLE' }), ns({ mode: 'PERMISSIVE' }), wl({ mtls: { mode: 'STRICT' } })];
      assert.equal(mode(config, reviewsV1), 'STRICT');
      assert.equal(mode(config, reviewsV2), 'STRICT');
      assert.equal(mode(config, ratings), 'PERMISSIVE', 'not selected');
      assert.equal(mode(config, fooReviews), 'DISABLE', 'selected labels, but another namespace');
      assert.deepEqual(security(config).peerAuthentication.policies, ['istio-system/default', 'default/default', 'default/reviews']);
    });
    test('UNSET (or no mtls) inherits from the level above; at mesh level it means PERMISSIVE', () => {
      assert.equal(mode([mesh({ mode: 'STRICT' }), ns({ mode: 'UNSET' })]), 'STRICT');
      assert.equal(mode([mesh({ mode: 'STRICT' }), ns(undefined)]), 'STRICT');
      assert.equal(mode([mesh({ mode: 'DISABLE' }), ns({ mode: 'STRICT' }), wl({ mtls: { mode: 'UNSET' } })]), 'STRICT');
      assert.equal(mode([mesh({ mode: 'UNSET' })]), 'PERMISSIVE');
      assert.equal(mode([wl({})]), 'PERMISSIVE');
    });
    test('a selector policy in the root namespace does not act as a workload policy elsewhere (Istio ignores it)', () => {
      assert.equal(mode([pa('istio-system', 'reviews', { selector: reviewsSelector, mtls: { mode: 'STRICT' } })]), 'PERMISSIVE');
    });
    test('selector {} counts as no selector (namespace-wide)', () => {
      assert.equal(mode([pa('default', 'all', { selector: {}, mtls: { mode: 'STRICT' } })], ratings), 'STRICT');
    });
    test('portLevelMtls from the workload policy; UNSET ports inherit the workload mode', () => {
      const config = [ns({ mode: 'STRICT' }), wl({ mtls: { mode: 'UNSET' }, portLevelMtls: { '9080': { mode: 'DISABLE' }, '8443': { mode: 'UNSET' }, '15020': { mode: 'PERMISSIVE' } } })];
      assert.deepEqual(security(config).peerAuthentication, {
        mode: 'STRICT',
        portLevel: { '8443': 'STRICT', '9080': 'DISABLE', '15020': 'PERMISSIVE' },
        policies: ['default/default', 'default/reviews'],
      });
      assert.deepEqual(security(config, ratings).peerAuthentication.portLevel, {}, 'other workloads keep no port settings');
    });
    test('competing policies at one level: the first by name wins, with a warning naming both', () => {
      const s = security([ns({ mode: 'STRICT' }), pa('default', 'zz-later', { mtls: { mode: 'DISABLE' } })]);
      assert.equal(s.peerAuthentication.mode, 'STRICT');
      assert.equal(s.warnings.length, 1);
      assert.match(s.warnings[0] ?? '', /conflict: PeerAuthentication default\/default \(security\.yaml:\d+\), PeerAuthentication default\/zz-later \(security\.yaml:\d+\) are all namespace-wide PeerAuthentications .* Skiff uses default\/default/);
      const two = security([wl({ mtls: { mode: 'STRICT' } }, 'default', 'a'), wl({ mtls: { mode: 'DISABLE' } }, 'default', 'b')]);
      assert.equal(two.peerAuthentication.mode, 'STRICT');
      assert.match(two.warnings.join('\n'), /are all workload PeerAuthentications/);
    });
    test('the root namespace is an option', () => {
      const config = [pa('mesh-root', 'default', { mtls: { mode: 'STRICT' } })];
      assert.equal(mode(config), 'PERMISSIVE');
      const { snapshot } = buildSnapshot({ resources: [...bookinfo, ...config], workloads: registry, proxy: reviewsV1, version: '1', rootNamespace: 'mesh-root' });
      assert.equal(snapshot.security?.peerAuthentication.mode, 'STRICT');
    });
  });

  describe('AuthorizationPolicy scope and form', () => {
    const names = (resources: readonly Loaded[], proxy: WorkloadInfo) => security(resources, proxy).authorization.map((p) => `${p.namespace}/${p.name}`);
    const meshWide = ap('istio-system', 'deny-all-evil', { action: 'DENY', rules: [{ from: [{ source: { namespaces: ['evil'] } }] }] });
    const rootSelector = ap('istio-system', 'reviews-everywhere', { selector: reviewsSelector, rules: [{}] });
    const nsWide = ap('default', 'ns-allow', { rules: [{ to: [{ operation: { methods: ['GET'] } }] }] });
    const selected = ap('default', 'reviews-only', { selector: reviewsSelector, action: 'AUDIT', rules: [{}] });
    const other = ap('foo', 'foo-only', {});
    const config = [meshWide, rootSelector, nsWide, selected, other];

    test('root namespace: mesh-wide; with a selector: matching workloads in every namespace', () => {
      assert.deepEqual(names(config, reviewsV1), ['default/ns-allow', 'default/reviews-only', 'istio-system/deny-all-evil', 'istio-system/reviews-everywhere']);
      assert.deepEqual(names(config, ratings), ['default/ns-allow', 'istio-system/deny-all-evil']);
      assert.deepEqual(names(config, fooReviews), ['foo/foo-only', 'istio-system/deny-all-evil', 'istio-system/reviews-everywhere']);
    });
    test('gateways get their own workload\'s policies', () => {
      const gwPolicy = ap('istio-system', 'ingress', { selector: { matchLabels: { istio: 'ingressgateway' } }, action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }] });
      assert.deepEqual(names([...config, gwPolicy], ingress), ['istio-system/deny-all-evil', 'istio-system/ingress']);
      assert.deepEqual(names([...config, gwPolicy], reviewsV1).includes('istio-system/ingress'), false);
    });
    test('normalized: action defaults to ALLOW, from/to flattened, no rules stays no rules', () => {
      const policy = ap('default', 'full', {
        rules: [
          {
            from: [{ source: { principals: ['cluster.local/ns/default/sa/frontend'], remoteIpBlocks: ['1.2.3.4'] } }, { source: { notNamespaces: ['prod'] } }],
            to: [{ operation: { methods: ['GET'], paths: ['/info*'] } }],
            when: [{ key: 'request.headers[x-token]', values: ['admin'] }],
          },
          {},
        ],
      });
      assert.deepEqual(security([policy]).authorization, [
        {
          name: 'full',
          namespace: 'default',
          action: 'ALLOW',
          rules: [
            {
              from: [{ principals: ['cluster.local/ns/default/sa/frontend'], unevaluated: ['remoteIpBlocks'] }, { notNamespaces: ['prod'] }],
              to: [{ methods: ['GET'], paths: ['/info*'] }],
              when: [{ key: 'request.headers[x-token]', values: ['admin'] }],
            },
            {},
          ],
        },
      ]);
      assert.deepEqual(security([ap('default', 'nothing', {})]).authorization, [{ name: 'nothing', namespace: 'default', action: 'ALLOW', rules: [] }]);
    });
    test('CUSTOM policies are left out with a warning; targetRef policies never reach sidecars', () => {
      const custom = ap('default', 'ext', { action: 'CUSTOM', provider: { name: 'opa' }, rules: [{}] });
      const target = ap('default', 'gw-api', { targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'gw' }], action: 'DENY', rules: [{}] });
      const s = security([custom, target]);
      assert.deepEqual(s.authorization, []);
      assert.equal(s.warnings.length, 1);
      assert.match(s.warnings[0] ?? '', /^AuthorizationPolicy default\/ext \(security\.yaml:\d+\) has action CUSTOM .* not enforced/);
    });
  });

  describe('RequestAuthentication', () => {
    test('scope as for AuthorizationPolicy; Istio\'s default token locations are made explicit', () => {
      const config = [
        ra('istio-system', 'mesh', { jwtRules: [{ issuer: 'https://mesh.example.com', jwksUri: 'https://mesh.example.com/jwks' }] }),
        ra('default', 'reviews', { selector: reviewsSelector, jwtRules: [{ issuer: 'issuer-foo', fromHeaders: [{ name: 'x-jwt' }], outputClaimToHeaders: [{ header: 'x-sub', claim: 'sub' }], forwardOriginalToken: true }] }),
        ra('foo', 'other', { jwtRules: [{ issuer: 'foo' }] }),
      ];
      assert.deepEqual(security(config).requestAuthentication, [
        { policy: 'default/reviews', issuer: 'issuer-foo', fromHeaders: [{ name: 'x-jwt' }], fromParams: [], outputClaimToHeaders: [{ header: 'x-sub', claim: 'sub' }], forwardOriginalToken: true },
        {
          policy: 'istio-system/mesh',
          issuer: 'https://mesh.example.com',
          jwksUri: 'https://mesh.example.com/jwks',
          fromHeaders: [{ name: 'Authorization', prefix: 'Bearer ' }],
          fromParams: ['access_token'],
          forwardOriginalToken: false,
          outputClaimToHeaders: [],
        },
      ]);
      assert.deepEqual(security(config, ratings).requestAuthentication.map((r) => r.policy), ['istio-system/mesh']);
    });
  });

  test('deterministic whatever the order of resources, and shared between proxies of one namespace and labels', () => {
    const config = [pa('istio-system', 'default', { mtls: { mode: 'STRICT' } }), ap('default', 'a', { rules: [{}] }), ap('istio-system', 'b', { action: 'DENY', rules: [{}] }), ra('default', 'r', { jwtRules: [{ issuer: 'i' }] })];
    const one = JSON.stringify(buildSnapshot({ resources: [...bookinfo, ...config], workloads: registry, proxy: reviewsV1, version: '1' }));
    const reversed = JSON.stringify(buildSnapshot({ resources: [...config, ...bookinfo].reverse(), workloads: [...registry].reverse(), proxy: reviewsV1, version: '1' }));
    assert.equal(reversed, one);
    const prepared = prepare([...bookinfo, ...config], registry);
    const twin = { ...reviewsV1, id: 'reviews-v1-b.default', address: '127.0.0.8' };
    assert.equal(prepared.snapshotFor(reviewsV1, '1').snapshot.security, prepared.snapshotFor(twin, '1').snapshot.security);
  });
});

describe('auto mTLS follows the destination PeerAuthentication', () => {
  test('endpoints of a workload under DISABLE are marked plaintext; others stay istio', () => {
    const { resources } = parseConfigFile(
      'pa.yaml',
      `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: reviews-plain
  namespace: default
spec:
  selector:
    matchLabels:
      app: reviews
  mtls:
    mode: DISABLE
`,
    );
    const { snapshot } = buildSnapshot({ resources: [...bookinfo, ...resources], workloads, proxy: frontend, version: 'v' });
    const modes = new Map(snapshot.clusters.flatMap((c) => c.endpoints.map((e) => [e.workload, e.tlsMode] as const)));
    assert.equal(modes.get(reviewsV1.id), 'disabled');
    assert.equal(modes.get(ratings.id), 'istio');
  });
});
