import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileAnyOf, compileStringMatch } from './string-match.js';

describe("Istio's string matching", () => {
  const m = (pattern: string, value: string | undefined, ignoreCase = false) => compileStringMatch(pattern, { ignoreCase })(value);
  test('exact', () => {
    assert.equal(m('/info', '/info'), true);
    assert.equal(m('/info', '/info/'), false);
    assert.equal(m('/info', '/INFO'), false);
    assert.equal(m('/info', undefined), false);
  });
  test('prefix "abc*"', () => {
    assert.equal(m('/info*', '/info'), true);
    assert.equal(m('/info*', '/information'), true);
    assert.equal(m('/info*', '/inf'), false);
  });
  test('suffix "*abc"', () => {
    assert.equal(m('*.example.com', 'a.example.com'), true);
    assert.equal(m('*.example.com', 'example.com'), false);
    assert.equal(m('*/sa/sleep', 'cluster.local/ns/x/sa/sleep'), true);
  });
  test('presence "*": any value, even empty; not a missing one', () => {
    assert.equal(m('*', 'x'), true);
    assert.equal(m('*', ''), true);
    assert.equal(m('*', undefined), false);
  });
  test('a star elsewhere is literal; "*abc*" is the suffix "abc*" (Istio checks suffix first)', () => {
    assert.equal(m('/a*b', '/a*b'), true);
    assert.equal(m('/a*b', '/axb'), false);
    assert.equal(m('*abc*', 'xabc*'), true);
    assert.equal(m('*abc*', 'xabcd'), false);
  });
  test('ignoreCase folds both sides', () => {
    assert.equal(m('Example.COM', 'example.com', true), true);
    assert.equal(m('*.Example.com', 'A.EXAMPLE.COM', true), true);
    assert.equal(m('Example.COM', 'example.com'), false);
  });
  test('a list matches when any pattern does', () => {
    const anyOf = compileAnyOf(['GET', 'HEAD']);
    assert.equal(anyOf('HEAD'), true);
    assert.equal(anyOf('POST'), false);
    assert.equal(compileAnyOf([])('GET'), false);
  });
});
