import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRouteConfig } from './compile.js';
import { explainRoute, formatExplanation } from './explain.js';
import { selectRoute } from './select.js';
import { request, routeConfig } from './test-support.js';

const to = (cluster: string) => ({ kind: 'route', clusters: [{ cluster, weight: 100 }] });

const rc = compileRouteConfig(
  routeConfig({
    name: '9080',
    virtualHosts: [
      {
        name: 'reviews',
        domains: ['reviews:9080'],
        routes: [
          { name: 'jason', matches: [{ headers: [{ name: 'end-user', match: { exact: 'jason' } }] }], action: to('v2') },
          {
            name: 'v3',
            matches: [{ uri: { prefix: '/v3' }, method: { exact: 'GET' } }, { name: 'labels', sourceLabels: { app: 'frontend', version: 'v1' } }],
            action: to('v3'),
          },
          { name: 'api', matches: [{ uri: { prefix: '/api' } }], action: to('v1') },
          { name: 'default', action: to('v1') },
        ],
      },
    ],
  }),
);

describe('explainRoute', () => {
  test('says why each route did or did not match: first failing condition and what the request had', () => {
    const e = explainRoute(rc, request({ method: 'POST', path: '/api/x', sourceLabels: { app: 'frontend', version: 'v2' } }));
    assert.equal(e.decision.kind, 'matched');
    assert.deepEqual(
      e.routes.map((r) => [r.index, r.name, r.outcome, r.reason]),
      [
        [0, 'jason', 'no-match', 'needs header end-user exact "jason", but header end-user is absent'],
        [1, 'v3', 'no-match', 'match[0]: needs method exact "GET", but method is "POST"; match[1] "labels": needs source labels app=frontend,version=v1, but source label version is "v2"'],
        [2, 'api', 'selected', 'uri prefix "/api"'],
        [3, 'default', 'shadowed', 'also matches (catch-all), but route [2] "api" comes first'],
      ],
    );
  });

  test('agrees with selectRoute', () => {
    for (const req of [
      request({ headers: { 'end-user': 'jason' } }),
      request({ path: '/v3/x' }),
      request({ path: '/api' }),
      request({ path: '/other' }),
      request({ sourceLabels: { app: 'frontend', version: 'v1' } }),
    ]) {
      const e = explainRoute(rc, req);
      const d = selectRoute(rc, req);
      assert.equal(e.decision.reason, d.reason);
      const selected = e.routes.filter((r) => r.outcome === 'selected').map((r) => r.name);
      assert.deepEqual(selected, d.kind === 'matched' ? [d.route.name] : []);
    }
  });

  test('the first failing condition is reported, not a later one', () => {
    const e = explainRoute(rc, request({ method: 'POST', path: '/other' }));
    // Both uri and method fail for match[0]; conditions run method before uri.
    assert.match(e.routes[1]?.reason ?? '', /^match\[0\]: needs method exact "GET", but method is "POST"; /);
    assert.match(e.routes[1]?.reason ?? '', /match\[1\] "labels": needs source labels app=frontend,version=v1, but source labels are unknown$/);
  });

  test('a route that matches by one of several matches names it', () => {
    const e = explainRoute(rc, request({ path: '/v3/x' }));
    assert.equal(e.routes[1]?.outcome, 'selected');
    assert.equal(e.routes[1]?.reason, 'match[0]: method exact "GET" and uri prefix "/v3"');
  });

  test('no virtual host: no routes to list', () => {
    const e = explainRoute(rc, request({ authority: 'nope' }));
    assert.equal(e.decision.kind, 'no-virtual-host');
    assert.deepEqual(e.routes, []);
  });

  test('no route: every route is listed as not matching', () => {
    const strict = compileRouteConfig(
      routeConfig({ name: 'x', virtualHosts: [{ name: 'v', domains: ['*'], routes: [{ name: 'p', matches: [{ port: 80 }], action: to('a') }] }] }),
    );
    const e = explainRoute(strict, request({ port: 8080 }));
    assert.equal(e.decision.kind, 'no-route');
    assert.deepEqual(e.routes.map((r) => r.reason), ['needs port 80, but port is 8080']);
  });

  test('formatExplanation prints one line per route under the decision', () => {
    const text = formatExplanation(explainRoute(rc, request({ path: '/api/x', headers: { 'end-user': 'bob' } })));
    assert.equal(
      text,
      [
        'GET /api/x (authority "reviews:9080") in route config "9080"',
        '  virtual host "reviews" (domain "reviews:9080"); route "api": uri prefix "/api"',
        '    ✘ [0] jason: needs header end-user exact "jason", but header end-user is "bob"',
        '    ✘ [1] v3: match[0]: needs uri prefix "/v3", but path is "/api/x"; match[1] "labels": needs source labels app=frontend,version=v1, but source labels are unknown',
        '    ✔ [2] api: uri prefix "/api"',
        '    · [3] default: also matches (catch-all), but route [2] "api" comes first',
      ].join('\n'),
    );
  });

  test('long observed values are cut short', () => {
    const e = explainRoute(rc, request({ headers: { 'end-user': 'x'.repeat(500) } }));
    const reason = e.routes[0]?.reason ?? '';
    assert.ok(reason.length < 200, `reason is ${reason.length} characters`);
    assert.match(reason, /x…"$/);
  });
});
