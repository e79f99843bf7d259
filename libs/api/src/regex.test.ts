import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileIstioRegex } from './regex.js';

describe('compileIstioRegex', () => {
  test('matches the whole value, as Envoy does', () => {
    const re = compileIstioRegex('/api/v[0-9]+');
    assert.equal(re.test('/api/v2'), true);
    assert.equal(re.test('/api/v2/extra'), false);
    assert.equal(re.test('x/api/v2'), false);
  });
  test('alternation is anchored as a whole', () => {
    const re = compileIstioRegex('a|b');
    assert.equal(re.test('a'), true);
    assert.equal(re.test('ab'), false);
  });
  test('translates RE2 leading flags and named groups', () => {
    assert.equal(compileIstioRegex('(?i)^aaa$').test('AAA'), true);
    assert.equal(compileIstioRegex('(?P<v>v[12])').test('v1'), true);
  });
  test('the Bookinfo cookie regex compiles', () => {
    assert.equal(compileIstioRegex('^(.*?;)?(user=jason)(;.*)?$').test('a=b;user=jason'), true);
  });
  for (const [re, what] of [
    ['(?=a)b', 'lookahead'],
    ['(?!a)b', 'lookahead'],
    ['(?<=a)b', 'lookbehind'],
    ['(?<!a)b', 'lookbehind'],
    ['(a)\\1', 'backreference'],
    ['(?<n>a)\\k<n>', 'backreference'],
  ] as const) {
    test(`refuses ${what} in ${re}`, () => assert.throws(() => compileIstioRegex(re), new RegExp(`${what}.*not RE2`)));
  }
  test('escaped or bracketed look-alikes are fine', () => {
    assert.doesNotThrow(() => compileIstioRegex('\\(?=x'));
    assert.doesNotThrow(() => compileIstioRegex('[(?=]+'));
    assert.doesNotThrow(() => compileIstioRegex('[\\1]'));
  });
  test('reports syntax errors', () => {
    assert.throws(() => compileIstioRegex('a(b'), /^Error: invalid regex: /);
    assert.throws(() => compileIstioRegex('*a'), /invalid regex/);
  });
});
