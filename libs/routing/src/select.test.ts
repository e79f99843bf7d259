import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRouteConfig, compileRouteConfigs } from './compile.js';
import { pickCluster } from './route.js';
import { selectRoute, type RouteDecision } from './select.js';
import { request, routeConfig } from './test-support.js';

const to = (cluster: string) => ({ kind: 'route', clusters: [{ cluster, weight: 100 }] });

/** Istio-shaped reviews config: jason -> v2, /v3 or ?v=3 -> v3, everyone else -> v1. */
const reviews = compileRouteConfig(
  routeConfig({
    name: '9080',
    virtualHosts: [
      {
        name: 'reviews.default.svc.cluster.local:9080',
        domains: ['reviews.default.svc.cluster.local', 'reviews.default.svc.cluster.local:9080', 'reviews', 'reviews:9080'],
        routes: [
          { name: 'default/reviews http[0]', matches: [{ headers: [{ name: 'end-user', match: { exact: 'jason' } }] }], action: to('v2') },
          { name: 'default/reviews http[1]', matches: [{ uri: { prefix: '/v3' } }, { name: 'by-query', queryParams: [{ name: 'v', match: { exact: '3' } }] }], action: to('v3') },
          { name: 'default/reviews http[2]', action: to('v1') },
        ],
      },
      { name: 'ratings:9080', domains: ['ratings:9080'], routes: [{ name: 'only-get', matches: [{ method: { exact: 'GET' } }], action: to('ratings') }] },
      { name: 'empty', domains: ['empty:9080'], routes: [] },
    ],
  }),
);

function routeName(d: RouteDecision): string {
  return d.kind === 'matched' ? d.route.name : d.kind;
}

describe('selectRoute', () => {
  test('the first matching route wins, and the reason says which vhost, domain and condition', () => {
    const d = selectRoute(reviews, request({ headers: { 'end-user': 'jason' }, path: '/v3' }));
    assert.equal(d.kind, 'matched');
    assert.equal(routeName(d), 'default/reviews http[0]', 'http[1] also matches /v3 but comes later');
    assert.equal(d.reason, 'virtual host "reviews.default.svc.cluster.local:9080" (domain "reviews:9080"); route "default/reviews http[0]": header end-user exact "jason"');
  });

  test('matches are OR\'ed: either one selects the route, and the reason names the one that held', () => {
    const byUri = selectRoute(reviews, request({ path: '/v3/reviews/1' }));
    assert.equal(routeName(byUri), 'default/reviews http[1]');
    assert.match(byUri.reason, /route "default\/reviews http\[1\]" match\[0\]: uri prefix "\/v3"$/);
    const byQuery = selectRoute(reviews, request({ path: '/reviews/1?v=3' }));
    assert.equal(routeName(byQuery), 'default/reviews http[1]');
    assert.match(byQuery.reason, /route "default\/reviews http\[1\]" match\[1\] "by-query": query param v exact "3"$/);
    assert.equal(byQuery.kind === 'matched' ? byQuery.match?.label : undefined, 'match[1] "by-query"');
  });

  test('a route without matches catches everything that reaches it', () => {
    const d = selectRoute(reviews, request({ headers: { 'end-user': 'bob' }, path: '/reviews/1?v=2' }));
    assert.equal(routeName(d), 'default/reviews http[2]');
    assert.equal(d.kind === 'matched' ? d.match : 'x', undefined);
    assert.match(d.reason, /; route "default\/reviews http\[2\]": catch-all \(no match conditions\)$/);
  });

  test('the chosen domain is reported as configured, with "port ignored" when the port was stripped', () => {
    const d = selectRoute(reviews, request({ authority: 'Reviews.default.svc.cluster.local:1234' }));
    assert.equal(d.kind === 'matched' ? d.domain : undefined, 'reviews.default.svc.cluster.local');
    assert.match(d.reason, /^virtual host "reviews\.default\.svc\.cluster\.local:9080" \(domain "reviews\.default\.svc\.cluster\.local", port ignored\); /);
  });

  test('no virtual host: says which authority and lists the domains there are', () => {
    const d = selectRoute(reviews, request({ authority: 'details:9080' }));
    assert.equal(d.kind, 'no-virtual-host');
    assert.equal(
      d.reason,
      'no virtual host in route config "9080" has a domain matching "details:9080" (domains: "reviews.default.svc.cluster.local", "reviews.default.svc.cluster.local:9080", "reviews", "reviews:9080", "ratings:9080", "empty:9080")',
    );
  });

  test('no route: the virtual host is known but nothing in it matches', () => {
    const d = selectRoute(reviews, request({ authority: 'ratings:9080', method: 'DELETE' }));
    assert.equal(d.kind, 'no-route');
    assert.equal(d.kind === 'no-route' ? d.virtualHost.name : undefined, 'ratings:9080');
    assert.equal(d.reason, 'virtual host "ratings:9080" (domain "ratings:9080"); its only route does not match');
    const empty = selectRoute(reviews, request({ authority: 'empty:9080' }));
    assert.equal(empty.reason, 'virtual host "empty" (domain "empty:9080"); it has no routes');
  });

  test('wildcard and catch-all domains are named as such', () => {
    const gw = compileRouteConfig(
      routeConfig({
        name: 'http.8080',
        virtualHosts: [
          { name: 'shop', domains: ['*.shop.example'], routes: [{ name: 'shop', action: to('shop') }] },
          { name: 'fallback', domains: ['*'], routes: [{ name: 'fallback', action: to('fallback') }] },
        ],
      }),
    );
    assert.match(selectRoute(gw, request({ authority: 'www.shop.example' })).reason, /^virtual host "shop" \(wildcard domain "\*\.shop\.example"\); /);
    assert.match(selectRoute(gw, request({ authority: 'www.shop.example:8080' })).reason, /\(wildcard domain "\*\.shop\.example", port ignored\)/);
    assert.match(selectRoute(gw, request({ authority: 'other' })).reason, /^virtual host "fallback" \(catch-all domain "\*"\); /);
  });
});

describe('compiled routes', () => {
  test('pickCluster uses the route\'s own weights; a redirect route has none', () => {
    const rc = compileRouteConfig(
      routeConfig({
        name: 'r',
        virtualHosts: [
          {
            name: 'v',
            domains: ['*'],
            routes: [
              { name: 'moved', matches: [{ uri: { prefix: '/old' } }], action: { kind: 'redirect', uri: '/new' } },
              { name: 'split', action: { kind: 'route', clusters: [{ cluster: 'a', weight: 1 }, { cluster: 'b', weight: 3 }] } },
            ],
          },
        ],
      }),
    );
    const split = rc.virtualHosts[0]?.routes[1];
    assert.ok(split);
    assert.equal(pickCluster(split, () => 0.2).cluster, 'a');
    assert.equal(pickCluster(split, () => 0.25).cluster, 'b');
    assert.equal(split.pickCluster(() => 0.99).cluster, 'b');
    const moved = rc.virtualHosts[0]?.routes[0];
    assert.ok(moved);
    assert.throws(() => moved.pickCluster(() => 0), /route "moved" is a redirect/);
  });

  test('compile errors name the route config, virtual host, route and field', () => {
    const bad = routeConfig({
      name: '9080',
      virtualHosts: [{ name: 'v', domains: ['*'], routes: [{ name: 'r', matches: [{ uri: { regex: '(' } }], action: to('x') }] }],
    });
    assert.throws(() => compileRouteConfig(bad), /route config "9080" virtual host "v" route "r" match\[0\] uri: invalid regex "\("/);
    const zero = routeConfig({
      name: '9080',
      virtualHosts: [{ name: 'v', domains: ['*'], routes: [{ name: 'r', action: { kind: 'route', clusters: [{ cluster: 'a', weight: 0 }, { cluster: 'b', weight: 0 }] } }] }],
    });
    assert.throws(() => compileRouteConfig(zero), /route config "9080" virtual host "v" route "r" destinations: all 2 weights are 0/);
  });

  test('duplicate domains compile, first virtual host wins, and the warning names the route config', () => {
    const rc = compileRouteConfig(
      routeConfig({
        name: '80',
        virtualHosts: [
          { name: 'one', domains: ['a'], routes: [{ name: 'r1', action: to('x') }] },
          { name: 'two', domains: ['a'], routes: [{ name: 'r2', action: to('y') }] },
        ],
      }),
    );
    assert.equal(routeName(selectRoute(rc, request({ authority: 'a' }))), 'r1');
    assert.deepEqual(rc.warnings, ['route config "80": domain "a" of virtual host "two" is already claimed by virtual host "one"; virtual host "one" keeps it']);
  });

  test('compileRouteConfigs keys the compiled configs by name', () => {
    const m = compileRouteConfigs([routeConfig({ name: 'a', virtualHosts: [] }), routeConfig({ name: 'b', virtualHosts: [] })]);
    assert.deepEqual([...m.keys()], ['a', 'b']);
    assert.equal(m.get('b')?.name, 'b');
    const a = m.get('a');
    assert.ok(a);
    assert.equal(selectRoute(a, request()).reason, 'no virtual host in route config "a" has a domain matching "reviews:9080" (domains: none)');
  });
});
