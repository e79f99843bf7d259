import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractTokens, locationsOf, withoutQueryParams } from './token-extractor.js';

test('a rule without locations reads Authorization: Bearer and ?access_token', () => {
  assert.deepEqual(locationsOf({ issuer: 'i' }), [
    { kind: 'header', name: 'authorization', prefix: 'Bearer ' },
    { kind: 'param', name: 'access_token' },
  ]);
});

test('named locations replace the defaults, are lower-cased, deduplicated and ordered headers, params, cookies', () => {
  const locations = locationsOf({ issuer: 'i', fromCookies: ['c'], fromParams: ['p'], fromHeaders: [{ name: 'X-B' }, { name: 'x-a', prefix: 'T ' }, { name: 'x-b' }] });
  assert.deepEqual(locations, [
    { kind: 'header', name: 'x-a', prefix: 'T ' },
    { kind: 'header', name: 'x-b', prefix: '' },
    { kind: 'param', name: 'p' },
    { kind: 'cookie', name: 'c' },
  ]);
});

test('the prefix is found anywhere in the value and is case-sensitive, like Envoy', () => {
  const locations = locationsOf({ issuer: 'i' });
  const found = (authorization: string) => extractTokens(locations, { headers: { authorization } }).map((t) => t.token);
  assert.deepEqual(found('Bearer a.b.c'), ['a.b.c']);
  assert.deepEqual(found('Bearer   a.b.c'), ['a.b.c']);
  assert.deepEqual(found('Custom x, Bearer a.b.c'), ['a.b.c']);
  assert.deepEqual(found('bearer a.b.c'), []);
  assert.deepEqual(found('Basic dXNlcjpwYXNz'), []);
});

test('every value of a repeated header, the first value of a parameter, and quoted cookies are read', () => {
  const locations = locationsOf({ issuer: 'i', fromHeaders: [{ name: 'x-t' }], fromParams: ['t'], fromCookies: ['s'] });
  const tokens = extractTokens(locations, { headers: { 'x-t': ['h1', 'h2'], cookie: 'a=1; s="c1"; s=c2' }, query: '?t=q1&t=q2' });
  assert.deepEqual(
    tokens.map((t) => `${t.location.kind}:${t.token}`),
    ['header:h1', 'header:h2', 'param:q1', 'cookie:c1'],
  );
});

test('withoutQueryParams drops only the named parameters', () => {
  assert.equal(withoutQueryParams('/a?x=1&access_token=t&y=2', ['access_token']), '/a?x=1&y=2');
  assert.equal(withoutQueryParams('/a?access_token=t', ['access_token']), '/a');
  assert.equal(withoutQueryParams('/a?access%5Ftoken=t&z', ['access_token']), '/a?z');
  assert.equal(withoutQueryParams('/a', ['access_token']), '/a');
});
