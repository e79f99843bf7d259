import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileStringMatch } from './string-match.js';

const where = 'route "r" match[0] header "x"';

describe('compileStringMatch', () => {
  test('exact matches the whole value, case-sensitively', () => {
    const m = compileStringMatch({ exact: 'jason' }, { where });
    assert.equal(m.test('jason'), true);
    assert.equal(m.test('Jason'), false);
    assert.equal(m.test('jason2'), false);
    assert.equal(m.test('jaso'), false);
    assert.equal(m.test(''), false);
    assert.equal(m.description, 'exact "jason"');
  });

  test('prefix matches the start of the value, case-sensitively', () => {
    const m = compileStringMatch({ prefix: '/api' }, { where });
    assert.equal(m.test('/api'), true);
    assert.equal(m.test('/api/v1'), true);
    assert.equal(m.test('/API/v1'), false);
    assert.equal(m.test('/ap'), false);
    assert.equal(m.test('x/api'), false);
    assert.equal(m.description, 'prefix "/api"');
  });

  test('an empty prefix matches everything', () => {
    const m = compileStringMatch({ prefix: '' }, { where });
    assert.equal(m.test(''), true);
    assert.equal(m.test('/anything'), true);
  });

  test('regex must match the whole value, as Envoy safe_regex does', () => {
    const m = compileStringMatch({ regex: 'v[12]' }, { where });
    assert.equal(m.test('v1'), true);
    assert.equal(m.test('v2'), true);
    assert.equal(m.test('v3'), false);
    assert.equal(m.test('xv1'), false, 'a substring match is not enough');
    assert.equal(m.test('v1x'), false, 'a substring match is not enough');
    assert.equal(m.description, 'regex "v[12]"');
  });

  test('a regex alternation is anchored as a whole', () => {
    const m = compileStringMatch({ regex: 'a|b' }, { where });
    assert.equal(m.test('a'), true);
    assert.equal(m.test('b'), true);
    assert.equal(m.test('ab'), false);
    assert.equal(m.test('xa'), false);
    assert.equal(m.test('bx'), false);
  });

  test('ignoreCase makes exact and prefix case-insensitive', () => {
    const exact = compileStringMatch({ exact: '/Reviews' }, { where, ignoreCase: true });
    assert.equal(exact.test('/reviews'), true);
    assert.equal(exact.test('/REVIEWS'), true);
    assert.equal(exact.test('/reviews/1'), false);
    assert.equal(exact.description, 'exact "/Reviews" (any case)');
    const prefix = compileStringMatch({ prefix: '/API' }, { where, ignoreCase: true });
    assert.equal(prefix.test('/api/v1'), true);
    assert.equal(prefix.test('/Api'), true);
    assert.equal(prefix.test('/ap'), false);
  });

  test('ignoreCase leaves regexes alone, as Istio documents', () => {
    const m = compileStringMatch({ regex: '/api' }, { where, ignoreCase: true });
    assert.equal(m.test('/api'), true);
    assert.equal(m.test('/API'), false);
  });

  test('RE2 leading flags and (?P<name>) groups work', () => {
    const i = compileStringMatch({ regex: '(?i)jason' }, { where });
    assert.equal(i.test('JaSoN'), true);
    assert.equal(i.test('jasonx'), false);
    const named = compileStringMatch({ regex: '/u/(?P<id>[0-9]+)' }, { where });
    assert.equal(named.test('/u/42'), true);
    assert.equal(named.test('/u/x'), false);
  });

  test('an invalid regex throws naming where it is and the pattern', () => {
    assert.throws(
      () => compileStringMatch({ regex: '(unclosed' }, { where }),
      (err: Error) => err.message.startsWith(where) && err.message.includes('"(unclosed"') && err.message.includes('invalid regex'),
    );
  });

  test("RE2's own flags work, as they do in Envoy: (?U) makes repetition lazy", () => {
    assert.equal(compileStringMatch({ regex: '(?U)a+' }, { where }).test('aaa'), true);
    assert.throws(() => compileStringMatch({ regex: '(?x)a' }, { where }), /invalid regex "\(\?x\)a" \(invalid or unsupported Perl syntax/);
  });
});
