import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProxySnapshot } from '@skiff/api';
import { bookinfo, build, frontend, reviewsRule, reviewsSplit, sidecar, vs, workloads } from './bookinfo.fixture.js';

function vhost(snapshot: ProxySnapshot, name: string) {
  const found = snapshot.routeConfigs.flatMap((rc) => rc.virtualHosts).find((v) => v.name === name);
  assert.ok(found, `virtual host ${name} not found`);
  return found;
}

const DEFAULT_RETRIES = { attempts: 2, retryOn: ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes'], retriableStatusCodes: [503] };

describe('sidecar route configs', () => {
  test('one route config per service port with a virtual host per service', () => {
    const { parsed } = build(bookinfo, frontend);
    assert.deepEqual(parsed.routeConfigs.map((rc) => rc.name), ['9080']);
    assert.deepEqual(parsed.routeConfigs[0]?.virtualHosts.map((v) => v.name), [
      'frontend.default.svc.cluster.local:9080',
      'ratings.default.svc.cluster.local:9080',
      'reviews.default.svc.cluster.local:9080',
    ]);
    assert.deepEqual(parsed.gatewayServers, []);
  });

  test('a service with no VirtualService gets the default route with default retries', () => {
    const { parsed } = build(bookinfo, frontend);
    assert.deepEqual(vhost(parsed, 'ratings.default.svc.cluster.local:9080').routes, [
      {
        name: 'default',
        matches: [],
        action: { kind: 'route', clusters: [{ cluster: 'outbound|9080||ratings.default.svc.cluster.local', weight: 100 }], retries: DEFAULT_RETRIES },
      },
    ]);
  });

  test('the VirtualService http[] become the routes in order: header match, 90/10 split, timeout', () => {
    const { parsed, warnings } = build(bookinfo, frontend);
    assert.deepEqual(warnings, []);
    const routes = vhost(parsed, 'reviews.default.svc.cluster.local:9080').routes;
    assert.deepEqual(routes[0], {
      name: 'default/reviews http[0] (testers)',
      origin: { virtualService: 'default/reviews', httpIndex: 0, routeName: 'testers' },
      matches: [{ headers: [{ name: 'end-user', match: { exact: 'jason' }, present: true }], queryParams: [], ignoreUriCase: false }],
      action: { kind: 'route', clusters: [{ cluster: 'outbound|9080|v2|reviews.default.svc.cluster.local', weight: 100 }], retries: DEFAULT_RETRIES },
    });
    assert.deepEqual(routes[1], {
      name: 'default/reviews http[1]',
      origin: { virtualService: 'default/reviews', httpIndex: 1 },
      matches: [],
      action: {
        kind: 'route',
        clusters: [
          { cluster: 'outbound|9080|v1|reviews.default.svc.cluster.local', weight: 90 },
          { cluster: 'outbound|9080|v2|reviews.default.svc.cluster.local', weight: 10 },
        ],
        timeoutMs: 1500,
        retries: DEFAULT_RETRIES,
      },
    });
    assert.equal(routes.length, 2);
  });

  test('short names: bare name only in the own namespace; VS short hosts resolve in the VS namespace', () => {
    const prodFrontend = sidecar('frontend', 'prod', 'v1', '127.0.0.2', 16101);
    const registry = [...workloads, prodFrontend];
    const fromProd = build(bookinfo, prodFrontend, registry).parsed;
    const reviewsFromProd = vhost(fromProd, 'reviews.default.svc.cluster.local:9080');
    assert.ok(!reviewsFromProd.domains.includes('reviews'));
    assert.ok(reviewsFromProd.domains.includes('reviews.default'));
    assert.ok(vhost(fromProd, 'frontend.prod.svc.cluster.local:9080').domains.includes('frontend'));
    // default/reviews VS still routes reviews.default for callers in prod (exported everywhere).
    assert.equal(reviewsFromProd.routes[0]?.origin?.virtualService, 'default/reviews');

    // A VS in prod naming "reviews" means reviews.prod, which does not exist: reviews.default keeps its own VS.
    const prodVs = vs('prod', 'reviews', { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews.default.svc.cluster.local' } }] }] });
    const withProdVs = build([...bookinfo, prodVs], frontend, registry);
    assert.equal(vhost(withProdVs.parsed, 'reviews.default.svc.cluster.local:9080').routes[0]?.origin?.virtualService, 'default/reviews');
    assert.deepEqual(withProdVs.warnings, []);
  });

  test('destination hosts resolve relative to the VS namespace; a missing subset or host is warned', () => {
    const prodRatings = sidecar('ratings', 'prod', 'v1', '127.0.0.3', 16102);
    const registry = [...workloads, prodRatings];
    const cross = vs('default', 'ratings', {
      hosts: ['ratings'],
      http: [
        { match: [{ uri: { prefix: '/prod' } }], route: [{ destination: { host: 'ratings.prod' } }] },
        { match: [{ uri: { prefix: '/v9' } }], route: [{ destination: { host: 'ratings', subset: 'v9' } }] },
        { route: [{ destination: { host: 'nowhere', port: { number: 80 } } }] },
      ],
    });
    const { parsed, warnings } = build([cross], frontend, registry);
    const routes = vhost(parsed, 'ratings.default.svc.cluster.local:9080').routes;
    assert.deepEqual(
      routes.map((r) => (r.action.kind === 'route' ? r.action.clusters.map((c) => c.cluster) : [])),
      [['outbound|9080||ratings.prod.svc.cluster.local'], ['outbound|9080|v9|ratings.default.svc.cluster.local'], ['outbound|80||nowhere.default.svc.cluster.local']],
    );
    assert.equal(warnings.length, 2);
    assert.match(warnings[0] ?? '', /VirtualService default\/ratings spec\.http\[1\]\.route\[0\]: subset "v9" of host ratings\.default\.svc\.cluster\.local is not defined/);
    assert.match(warnings[1] ?? '', /spec\.http\[2\]\.route\[0\]: host nowhere\.default\.svc\.cluster\.local is not a service/);
  });

  test('VS bound only to a gateway does not affect sidecars; matches scoped to a gateway are dropped', () => {
    const gatewayOnly = vs('default', 'reviews-edge', { hosts: ['reviews'], gateways: ['bookinfo-gateway'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v2' } }] }] });
    const r1 = vhost(build([reviewsRule, gatewayOnly], frontend).parsed, 'reviews.default.svc.cluster.local:9080');
    assert.equal(r1.routes[0]?.name, 'default');

    const both = vs('default', 'reviews', {
      hosts: ['reviews'],
      gateways: ['bookinfo-gateway', 'mesh'],
      http: [
        { match: [{ uri: { prefix: '/edge' }, gateways: ['bookinfo-gateway'] }], route: [{ destination: { host: 'reviews', subset: 'v2' } }] },
        { match: [{ uri: { prefix: '/a' }, gateways: ['bookinfo-gateway'] }, { uri: { prefix: '/b' } }], route: [{ destination: { host: 'reviews', subset: 'v1' } }] },
      ],
    });
    const r2 = vhost(build([reviewsRule, both], frontend).parsed, 'reviews.default.svc.cluster.local:9080');
    assert.deepEqual(r2.routes.map((r) => r.name), ['default/reviews http[1]']);
    assert.deepEqual(r2.routes[0]?.matches.map((m) => m.uri), [{ prefix: '/b' }]);
  });

  test('two VirtualServices for one host: the first by namespace/name wins and the conflict is reported', () => {
    const other = vs('default', 'reviews-b', { hosts: ['reviews.default.svc.cluster.local'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' } }] }] });
    const inProd = vs('prod', 'aaa', { hosts: ['reviews.default'], http: [{ route: [{ destination: { host: 'reviews.default', subset: 'v1' } }] }] });
    const { parsed, warnings } = build([other, reviewsSplit, reviewsRule, inProd], frontend);
    assert.equal(vhost(parsed, 'reviews.default.svc.cluster.local:9080').routes[0]?.origin?.virtualService, 'default/reviews');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /^conflict: host reviews\.default\.svc\.cluster\.local is claimed by 3 VirtualServices; using VirtualService default\/reviews \(mesh\.yaml:\d+\)/);
    assert.match(warnings[0] ?? '', /ignoring VirtualService default\/reviews-b .*, VirtualService prod\/aaa/);
  });

  test('fault, mirror, rewrite, headers, redirect and explicit retries are carried over', () => {
    const full = vs('default', 'ratings', {
      hosts: ['ratings'],
      http: [
        { match: [{ uri: { exact: '/old' } }], redirect: { uri: '/new', redirectCode: 302 } },
        {
          route: [{ destination: { host: 'ratings' }, headers: { request: { set: { 'x-routed': 'yes' } } } }],
          fault: { delay: { fixedDelay: '2s', percentage: { value: 50 } }, abort: { httpStatus: 500 } },
          mirror: { host: 'reviews', subset: 'v2' },
          mirrorPercentage: { value: 25 },
          rewrite: { uri: '/v1' },
          retries: { attempts: 5, perTryTimeout: '250ms', retryOn: '5xx' },
          headers: { response: { remove: ['server'] } },
        },
      ],
    });
    const { parsed, warnings } = build([full, reviewsRule], frontend);
    assert.deepEqual(warnings, []);
    const [redirect, forward] = vhost(parsed, 'ratings.default.svc.cluster.local:9080').routes;
    assert.deepEqual(redirect?.action, { kind: 'redirect', uri: '/new', redirectCode: 302 });
    assert.deepEqual(forward?.action, {
      kind: 'route',
      clusters: [{ cluster: 'outbound|9080||ratings.default.svc.cluster.local', weight: 100, headers: { request: { set: { 'x-routed': 'yes' } } } }],
      retries: { attempts: 5, perTryTimeoutMs: 250, retryOn: ['5xx'], retriableStatusCodes: [] },
      fault: { delay: { fixedDelayMs: 2000, percent: 50 }, abort: { httpStatus: 500, percent: 100 } },
      mirror: { cluster: 'outbound|9080|v2|reviews.default.svc.cluster.local', percent: 25 },
      rewrite: { uri: '/v1' },
    });
    assert.deepEqual(forward?.headers, { response: { remove: ['server'] } });
  });

  test('a gRPC abort becomes HTTP 200 carrying the status code its name stands for', () => {
    const grpcFault = vs('default', 'ratings', { hosts: ['ratings'], http: [{ route: [{ destination: { host: 'ratings' } }], fault: { abort: { grpcStatus: 'UNAVAILABLE', percentage: { value: 40 } } } }] });
    const action = vhost(build([grpcFault, reviewsRule], frontend).parsed, 'ratings.default.svc.cluster.local:9080').routes[0]?.action;
    assert.deepEqual(action?.kind === 'route' && action.fault, { abort: { httpStatus: 200, grpcStatus: 14, percent: 40 } });
  });

  test('unweighted multiple destinations split 100 evenly', () => {
    const even = vs('default', 'reviews', { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' } }, { destination: { host: 'reviews', subset: 'v2' } }, { destination: { host: 'reviews' } }] }] });
    const action = vhost(build([even, reviewsRule], frontend).parsed, 'reviews.default.svc.cluster.local:9080').routes[0]?.action;
    assert.deepEqual(action?.kind === 'route' && action.clusters.map((c) => c.weight), [34, 33, 33]);
  });
});
