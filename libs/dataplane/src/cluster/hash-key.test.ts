import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cookieValue, hashKeyFor, queryParameter } from './hash-key.js';
import type { LoadBalancerPolicy } from './traffic-policy.js';

const ch = (key: Extract<LoadBalancerPolicy, { kind: 'CONSISTENT_HASH' }>['key']): LoadBalancerPolicy => ({ kind: 'CONSISTENT_HASH', key });

describe('hashKeyFor', () => {
  test('only consistent-hash policies have a key', () => {
    assert.equal(hashKeyFor({ kind: 'ROUND_ROBIN' }, { headers: { 'x-user': 'a' } }), undefined);
  });

  test('header: its value; several values in a stable order; absent: no key', () => {
    const p = ch({ header: 'x-user' });
    assert.deepEqual(hashKeyFor(p, { headers: { 'x-user': 'alice' } }), { key: 'alice' });
    assert.deepEqual(hashKeyFor(p, { headers: { 'x-user': ['b', 'a'] } }), hashKeyFor(p, { headers: { 'x-user': ['a', 'b'] } }));
    assert.equal(hashKeyFor(p, { headers: {} }), undefined);
  });

  test('source IP', () => {
    assert.deepEqual(hashKeyFor(ch({ sourceIp: true }), { headers: {}, sourceIp: '10.1.2.3' }), { key: '10.1.2.3' });
    assert.equal(hashKeyFor(ch({ sourceIp: true }), { headers: {} }), undefined);
  });

  test('query parameter, with or without "?", decoded', () => {
    const p = ch({ queryParameter: 'u' });
    assert.deepEqual(hashKeyFor(p, { headers: {}, query: '?a=1&u=j%C3%B6rg&u=second' }), { key: 'jörg' });
    assert.deepEqual(hashKeyFor(p, { headers: {}, query: 'u=x' }), { key: 'x' });
    assert.equal(hashKeyFor(p, { headers: {}, query: '?a=1' }), undefined);
    assert.equal(hashKeyFor(p, { headers: {} }), undefined);
  });

  test('cookie present: its value, no Set-Cookie', () => {
    const p = ch({ cookie: { name: 'user', ttlMs: 60_000 } });
    assert.deepEqual(hashKeyFor(p, { headers: { cookie: 'theme=dark; user="abc"; x=1' } }), { key: 'abc' });
  });

  test('cookie missing with a ttl: a generated value and the Set-Cookie that pins it', () => {
    const p = ch({ cookie: { name: 'user', path: '/app', ttlMs: 3_600_000 } });
    const k = hashKeyFor(p, { headers: {} }, () => 0.5);
    assert.equal(k?.key, '8000000080000000');
    assert.equal(k?.setCookie, 'user="8000000080000000"; Max-Age=3600; Path=/app; HttpOnly');
    // The client sends it back: same key, nothing more to set.
    assert.deepEqual(hashKeyFor(p, { headers: { cookie: 'user="8000000080000000"' } }), { key: '8000000080000000' });
  });

  test('cookie missing, ttl 0: a session cookie; no ttl: no cookie and no key', () => {
    const session = hashKeyFor(ch({ cookie: { name: 'user', ttlMs: 0 } }), { headers: {} }, () => 0);
    assert.equal(session?.setCookie, 'user="0000000000000000"; HttpOnly');
    assert.equal(hashKeyFor(ch({ cookie: { name: 'user' } }), { headers: {} }), undefined);
  });
});

describe('cookie and query parsing', () => {
  test('cookieValue', () => {
    assert.equal(cookieValue('a=1; b=2', 'b'), '2');
    assert.equal(cookieValue(['a=1', 'b=2'], 'b'), '2');
    assert.equal(cookieValue('ab=1; b=2', 'a'), undefined);
    assert.equal(cookieValue('b=x=y', 'b'), 'x=y');
    assert.equal(cookieValue(undefined, 'b'), undefined);
  });

  test('queryParameter', () => {
    assert.equal(queryParameter('a=1+2', 'a'), '1 2');
    assert.equal(queryParameter('', 'a'), undefined);
  });
});
