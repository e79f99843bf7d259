import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RouteMatchSchema } from '@skiff/api';
import { compileMatch } from './match.js';
import { RequestView, type RouteRequest } from './request.js';
import { request } from './test-support.js';

function matches(match: unknown, req: Partial<RouteRequest>): boolean {
  const m = compileMatch(RouteMatchSchema.parse(match), 0, 'test');
  return m.test(new RequestView(request(req)));
}

/**
 * For every field that takes a StringMatch: a request that carries `value` in that field, and
 * for each kind a pattern that matches it and one that does not.
 */
const fields: Array<{ field: string; spec: (sm: object) => object; carry: (value: string) => Partial<RouteRequest> }> = [
  { field: 'uri', spec: (sm) => ({ uri: sm }), carry: (v) => ({ path: `${v}?q=1` }) },
  { field: 'method', spec: (sm) => ({ method: sm }), carry: (v) => ({ method: v }) },
  { field: 'authority', spec: (sm) => ({ authority: sm }), carry: (v) => ({ authority: v }) },
  { field: 'scheme', spec: (sm) => ({ scheme: sm }), carry: (v) => ({ scheme: v }) },
  { field: 'header', spec: (sm) => ({ headers: [{ name: 'x-value', match: sm }] }), carry: (v) => ({ headers: { 'x-value': v } }) },
  { field: 'query param', spec: (sm) => ({ queryParams: [{ name: 'v', match: sm }] }), carry: (v) => ({ path: `/p?other=1&v=${v}` }) },
];

const value = '/Alpha-42';
const kinds: Array<{ kind: string; hit: object; misses: object[] }> = [
  { kind: 'exact', hit: { exact: value }, misses: [{ exact: '/alpha-42' }, { exact: '/Alpha-4' }, { exact: '/Alpha-420' }] },
  { kind: 'prefix', hit: { prefix: '/Alpha' }, misses: [{ prefix: '/alpha' }, { prefix: 'Alpha' }, { prefix: '/Alpha-42/' }] },
  { kind: 'regex', hit: { regex: '/[A-Z][a-z]+-[0-9]+' }, misses: [{ regex: '[a-z]+' }, { regex: '/Alpha' }, { regex: '-42' }] },
];

describe('every StringMatch kind on every field', () => {
  for (const { field, spec, carry } of fields) {
    for (const { kind, hit, misses } of kinds) {
      test(`${field} ${kind}`, () => {
        assert.equal(matches(spec(hit), carry(value)), true, `${field} ${JSON.stringify(hit)} should match ${value}`);
        for (const miss of misses) {
          assert.equal(matches(spec(miss), carry(value)), false, `${field} ${JSON.stringify(miss)} should not match ${value}`);
        }
      });
    }
  }
});

describe('uri', () => {
  test('matches the path without its query string', () => {
    assert.equal(matches({ uri: { exact: '/p' } }, { path: '/p?a=1' }), true);
    assert.equal(matches({ uri: { regex: '/p' } }, { path: '/p?a=1' }), true);
    assert.equal(matches({ uri: { exact: '/p?a=1' } }, { path: '/p?a=1' }), false);
  });

  test('ignoreUriCase applies to exact and prefix, not to regex', () => {
    assert.equal(matches({ uri: { exact: '/Reviews' }, ignoreUriCase: true }, { path: '/REVIEWS' }), true);
    assert.equal(matches({ uri: { prefix: '/API' }, ignoreUriCase: true }, { path: '/api/v1' }), true);
    assert.equal(matches({ uri: { regex: '/API' }, ignoreUriCase: true }, { path: '/api' }), false);
    assert.equal(matches({ uri: { exact: '/Reviews' } }, { path: '/REVIEWS' }), false);
  });
});

describe('headers', () => {
  test('a string match fails when the header is absent', () => {
    assert.equal(matches({ headers: [{ name: 'end-user', match: { prefix: '' } }] }, { headers: {} }), false);
    assert.equal(matches({ headers: [{ name: 'end-user', match: { regex: '.*' } }] }, { headers: {} }), false);
  });

  test('the configured name is matched case-insensitively against node\'s lower-case names', () => {
    assert.equal(matches({ headers: [{ name: 'End-User', match: { exact: 'jason' } }] }, { headers: { 'end-user': 'jason' } }), true);
  });

  test('the header values are case-sensitive', () => {
    assert.equal(matches({ headers: [{ name: 'end-user', match: { exact: 'jason' } }] }, { headers: { 'end-user': 'Jason' } }), false);
  });

  test('repeated values are joined with "," before matching', () => {
    const spec = { headers: [{ name: 'x-tag', match: { exact: 'a,b' } }] };
    assert.equal(matches(spec, { headers: { 'x-tag': ['a', 'b'] } }), true);
    assert.equal(matches(spec, { headers: { 'x-tag': ['a'] } }), false);
  });

  test('presence: present alone needs the header, any value, even empty', () => {
    const spec = { headers: [{ name: 'x-debug' }] };
    assert.equal(matches(spec, { headers: { 'x-debug': '' } }), true);
    assert.equal(matches(spec, { headers: { 'x-debug': '1' } }), true);
    assert.equal(matches(spec, { headers: {} }), false);
    assert.equal(matches(spec, { headers: { 'x-debug': undefined } }), false);
  });

  test('absence: present false with no match needs the header to be missing', () => {
    const spec = { headers: [{ name: 'x-debug', present: false }] };
    assert.equal(matches(spec, { headers: {} }), true);
    assert.equal(matches(spec, { headers: { 'x-debug': '' } }), false);
    assert.equal(matches(spec, { headers: { 'x-debug': '1' } }), false);
  });

  test('present false with a match is Istio\'s withoutHeaders: fails only on a matching value', () => {
    const spec = { headers: [{ name: 'end-user', match: { exact: 'jason' }, present: false }] };
    assert.equal(matches(spec, { headers: {} }), true);
    assert.equal(matches(spec, { headers: { 'end-user': 'bob' } }), true);
    assert.equal(matches(spec, { headers: { 'end-user': 'jason' } }), false);
  });

  test('pseudo-headers come from the request line', () => {
    assert.equal(matches({ headers: [{ name: ':method', match: { exact: 'PUT' } }] }, { method: 'PUT' }), true);
    assert.equal(matches({ headers: [{ name: ':authority', match: { prefix: 'reviews' } }] }, { authority: 'reviews:9080' }), true);
    assert.equal(matches({ headers: [{ name: ':path', match: { exact: '/a?b=1' } }] }, { path: '/a?b=1' }), true);
  });
});

describe('query params', () => {
  test('a string match fails when the param is absent', () => {
    assert.equal(matches({ queryParams: [{ name: 'v', match: { prefix: '' } }] }, { path: '/p?w=1' }), false);
    assert.equal(matches({ queryParams: [{ name: 'v', match: { exact: '' } }] }, { path: '/p' }), false);
  });

  test('no match means the param must be present', () => {
    assert.equal(matches({ queryParams: [{ name: 'debug' }] }, { path: '/p?debug' }), true);
    assert.equal(matches({ queryParams: [{ name: 'debug' }] }, { path: '/p?x=debug' }), false);
  });

  test('values are percent-decoded and the first occurrence counts', () => {
    assert.equal(matches({ queryParams: [{ name: 'u', match: { exact: 'a b' } }] }, { path: '/p?u=a%20b' }), true);
    assert.equal(matches({ queryParams: [{ name: 'v', match: { exact: '1' } }] }, { path: '/p?v=1&v=2' }), true);
    assert.equal(matches({ queryParams: [{ name: 'v', match: { exact: '2' } }] }, { path: '/p?v=1&v=2' }), false);
  });
});

describe('port, source labels and source namespace', () => {
  test('port must equal the request port; an unknown port does not match', () => {
    assert.equal(matches({ port: 9080 }, { port: 9080 }), true);
    assert.equal(matches({ port: 9080 }, { port: 9081 }), false);
    assert.equal(matches({ port: 9080 }, {}), false);
  });

  test('every source label must be equal in the caller\'s labels; extra caller labels are fine', () => {
    const spec = { sourceLabels: { app: 'frontend', version: 'v1' } };
    assert.equal(matches(spec, { sourceLabels: { app: 'frontend', version: 'v1', team: 'x' } }), true);
    assert.equal(matches(spec, { sourceLabels: { app: 'frontend', version: 'v2' } }), false);
    assert.equal(matches(spec, { sourceLabels: { app: 'frontend' } }), false);
    assert.equal(matches(spec, {}), false);
  });

  test('source namespace must be equal', () => {
    assert.equal(matches({ sourceNamespace: 'default' }, { sourceNamespace: 'default' }), true);
    assert.equal(matches({ sourceNamespace: 'default' }, { sourceNamespace: 'prod' }), false);
    assert.equal(matches({ sourceNamespace: 'default' }, {}), false);
  });
});

describe('AND within a match', () => {
  const spec = {
    uri: { prefix: '/api' },
    method: { exact: 'GET' },
    headers: [{ name: 'end-user', match: { exact: 'jason' } }],
    queryParams: [{ name: 'v', match: { exact: '2' } }],
    port: 9080,
  };
  const all: Partial<RouteRequest> = { path: '/api/x?v=2', method: 'GET', headers: { 'end-user': 'jason' }, port: 9080 };

  test('holds when every field holds', () => {
    assert.equal(matches(spec, all), true);
  });

  test('fails when any single field fails', () => {
    assert.equal(matches(spec, { ...all, path: '/web?v=2' }), false);
    assert.equal(matches(spec, { ...all, path: '/api/x?v=1' }), false);
    assert.equal(matches(spec, { ...all, method: 'POST' }), false);
    assert.equal(matches(spec, { ...all, headers: {} }), false);
    assert.equal(matches(spec, { ...all, port: 80 }), false);
  });

  test('two header conditions must both hold', () => {
    const two = { headers: [{ name: 'a', match: { exact: '1' } }, { name: 'b', present: false }] };
    assert.equal(matches(two, { headers: { a: '1' } }), true);
    assert.equal(matches(two, { headers: { a: '1', b: 'x' } }), false);
    assert.equal(matches(two, { headers: { b: 'x' } }), false);
  });

  test('an empty match holds for every request', () => {
    assert.equal(matches({}, {}), true);
  });
});

describe('description and first failure', () => {
  test('describes conditions in evaluation order and reports the first one that fails', () => {
    const m = compileMatch(
      RouteMatchSchema.parse({ name: 'testers', uri: { prefix: '/api' }, headers: [{ name: 'end-user', match: { exact: 'jason' } }], port: 9080 }),
      2,
      'test',
    );
    assert.equal(m.label, 'match[2] "testers"');
    assert.equal(m.description, 'port 9080 and uri prefix "/api" and header end-user exact "jason"');
    const req = new RequestView(request({ port: 9080, path: '/api', headers: { 'end-user': 'bob' } }));
    const failed = m.firstFailure(req);
    assert.equal(failed?.description, 'header end-user exact "jason"');
    assert.equal(failed?.observed(req), 'header end-user is "bob"');
  });

  test('a bad regex fails compilation naming the match and field', () => {
    assert.throws(
      () => compileMatch(RouteMatchSchema.parse({ headers: [{ name: 'x-user', match: { regex: '[' } }] }), 1, 'route "r"'),
      /^Error: route "r" match\[1\] header "x-user": invalid regex "\["/,
    );
  });
});
