import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileIstioRegex, MAX_REGEX_LENGTH, MAX_REGEX_PROGRAM_SIZE } from './regex.js';

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
  test('RE2 flag groups, anywhere, and both spellings of named groups', () => {
    assert.equal(compileIstioRegex('(?i)^aaa$').test('AAA'), true);
    assert.equal(compileIstioRegex('x(?i:aaa)').test('xAaA'), true);
    assert.equal(compileIstioRegex('x(?i:aaa)').test('XAAA'), false);
    assert.equal(compileIstioRegex('(?P<v>v[12])').test('v1'), true);
    assert.equal(compileIstioRegex('(?<v>v[12])').test('v2'), true);
    assert.equal(compileIstioRegex('(?U)a+').test('aaa'), true);
  });
  test('RE2 classes: Unicode, Perl and POSIX', () => {
    assert.equal(compileIstioRegex('\\pL+').test('jasön'), true);
    assert.equal(compileIstioRegex('[[:digit:]]+').test('123'), true);
    assert.equal(compileIstioRegex('\\d+').test('12a'), false);
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
  test('escaped or bracketed look-alikes are RE2, and RE2 decides', () => {
    assert.equal(compileIstioRegex('\\(?=x').test('(=x'), true);
    assert.equal(compileIstioRegex('[(?=]+').test('?(='), true);
    // RE2 (and Go's regexp, which Istio validates with) has no octal escapes, in a class or out.
    assert.throws(() => compileIstioRegex('[\\1]'), /invalid regex: invalid escape sequence/);
  });
  test('reports syntax errors as RE2 does', () => {
    assert.throws(() => compileIstioRegex('a(b'), /^Error: invalid regex: missing closing \)/);
    assert.throws(() => compileIstioRegex('*a'), /invalid regex: missing argument to repetition operator/);
    assert.throws(() => compileIstioRegex('a{1001}'), /invalid regex: invalid repeat count/);
  });
  test("Istio's limits: 1024 characters, and a program of at most 32768 instructions", () => {
    assert.doesNotThrow(() => compileIstioRegex('a'.repeat(MAX_REGEX_LENGTH)));
    assert.throws(() => compileIstioRegex('a'.repeat(MAX_REGEX_LENGTH + 1)), /too large: 1025 characters, Istio allows at most 1024/);
    const heavy = '.{1000}'.repeat(40);
    assert.ok(heavy.length <= MAX_REGEX_LENGTH);
    assert.throws(() => compileIstioRegex(heavy), new RegExp(`too complex: its RE2 program has \\d+ instructions, .* allows ${MAX_REGEX_PROGRAM_SIZE}`));
    assert.ok(compileIstioRegex('[a-zA-Z0-9._-]{0,200}/[a-zA-Z0-9._-]{0,200}').programSize > 100);
  });
  test('linear time: the pattern that stalled a sidecar for 13 s answers at once, for any length', () => {
    const re = compileIstioRegex('(\\w+\\s?)*');
    for (const letters of [32, 1_000, 16_000]) {
      const started = process.hrtime.bigint();
      assert.equal(re.test(`${'a'.repeat(letters)}-`), false);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // A bound a backtracking engine cannot meet (2^32 steps at 32 letters), generous for a loaded machine.
      assert.ok(ms < 1_000, `${letters} letters took ${ms.toFixed(1)} ms`);
    }
    assert.equal(re.test('jason smith'), true);
  });
});
