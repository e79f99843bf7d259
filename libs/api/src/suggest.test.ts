import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closest, didYouMean, levenshtein } from './suggest.js';

describe('levenshtein', () => {
  test('counts inserts, deletes and substitutions', () => {
    assert.equal(levenshtein('', ''), 0);
    assert.equal(levenshtein('rout', 'route'), 1);
    assert.equal(levenshtein('route', 'rout'), 1);
    assert.equal(levenshtein('kitten', 'sitting'), 3);
    assert.equal(levenshtein('abc', ''), 3);
    assert.equal(levenshtein('abc', 'abc'), 0);
  });
  test('a neighbour swap is two edits, or one with transpositions', () => {
    assert.equal(levenshtein('hots', 'host'), 2);
    assert.equal(levenshtein('hots', 'host', { transpositions: true }), 1);
    assert.equal(levenshtein('ca', 'abc', { transpositions: true }), 3);
  });
});

describe('closest', () => {
  const fields = ['name', 'match', 'route', 'redirect', 'rewrite', 'timeout', 'retries', 'fault', 'mirror', 'mirrorPercentage', 'headers'];
  test('finds typos', () => {
    assert.equal(closest('rout', fields), 'route');
    assert.equal(closest('retires', fields), 'retries');
    assert.equal(closest('timout', fields), 'timeout');
    assert.equal(closest('hots', ['host', 'subset', 'port']), 'host');
  });
  test('ignores case, dashes and underscores', () => {
    assert.equal(closest('mirror_percentage', fields), 'mirrorPercentage');
    assert.equal(closest('Headers', fields), 'headers');
  });
  test('suggests nothing for unrelated words', () => {
    assert.equal(closest('banana', fields), undefined);
    assert.equal(closest('x', fields), undefined);
  });
  test('didYouMean formats the hint or nothing', () => {
    assert.equal(didYouMean('rout', fields), '; did you mean "route"?');
    assert.equal(didYouMean('zzzzzz', fields), '');
  });
});
