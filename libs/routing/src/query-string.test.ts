import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findQueryParam, parseQuery } from './query-string.js';
import { RequestView } from './request.js';
import { request } from './test-support.js';

describe('parseQuery', () => {
  test('no query gives no params', () => {
    assert.equal(parseQuery('/a/b').size, 0);
    assert.equal(parseQuery('/a?').size, 0);
  });

  test('reads names and values, the first occurrence wins, a bare name has an empty value', () => {
    const q = parseQuery('/p?a=1&b=2&a=3&flag&&c=');
    assert.deepEqual([...q], [
      ['a', '1'],
      ['b', '2'],
      ['flag', ''],
      ['c', ''],
    ]);
  });

  test('percent-decodes, keeps "+" and malformed escapes as sent, stops at a fragment', () => {
    const q = parseQuery('/p?name=J%C3%B6rg&plus=a+b&bad=%zz&x=1#frag=2');
    assert.equal(q.get('name'), 'Jörg');
    assert.equal(q.get('plus'), 'a+b');
    assert.equal(q.get('bad'), '%zz');
    assert.equal(q.get('x'), '1');
    assert.equal(q.has('frag'), false);
  });

  test('a value may contain "="', () => {
    assert.equal(parseQuery('/p?t=a=b').get('t'), 'a=b');
  });
});

describe('findQueryParam', () => {
  const targets = ['/p', '/p?', '/p?a=1&b=2&a=3&flag&&c=', '/p?name=J%C3%B6rg&plus=a+b&bad=%zz&x=1#frag=2', '/p?t=a=b', '/p?%61=enc&a=plain', '/p?=v&a', '/p#a=1', '/p?a#x'];
  const names = ['a', 'b', 'c', 'flag', 'name', 'plus', 'bad', 'x', 'frag', 't', '', 'missing'];

  test('agrees with parseQuery on every name of every target', () => {
    for (const target of targets) {
      const all = parseQuery(target);
      for (const name of names) assert.equal(findQueryParam(target, name), all.get(name), `${target} ${name}`);
    }
  });

  test('decodes names too: "%61" is "a"', () => {
    assert.equal(findQueryParam('/p?%61=enc&a=plain', 'a'), 'enc');
  });
});

describe('RequestView', () => {
  test('pathOnly drops the query and the fragment', () => {
    assert.equal(new RequestView(request({ path: '/a/b?x=1' })).pathOnly, '/a/b');
    assert.equal(new RequestView(request({ path: '/a#top' })).pathOnly, '/a');
    assert.equal(new RequestView(request({ path: '/a?x=1#top' })).pathOnly, '/a');
    assert.equal(new RequestView(request({ path: '/a' })).pathOnly, '/a');
  });

  test('header joins repeated values with "," and answers pseudo-headers from the request', () => {
    const v = new RequestView(
      request({ method: 'POST', authority: 'r:1', path: '/p?q', scheme: 'https', headers: { 'x-a': ['1', '2'], 'x-b': 'z', 'x-u': undefined } }),
    );
    assert.equal(v.header('x-a'), '1,2');
    assert.equal(v.header('x-b'), 'z');
    assert.equal(v.header('x-u'), undefined);
    assert.equal(v.header('x-missing'), undefined);
    assert.equal(v.header(':authority'), 'r:1');
    assert.equal(v.header('host'), 'r:1');
    assert.equal(v.header(':method'), 'POST');
    assert.equal(v.header(':path'), '/p?q');
    assert.equal(v.header(':scheme'), 'https');
  });

  test('scheme defaults to http', () => {
    assert.equal(new RequestView(request()).scheme, 'http');
  });
});
