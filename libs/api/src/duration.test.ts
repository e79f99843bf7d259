import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  const cases: Array<[string, number]> = [
    ['1.5s', 1500],
    ['100ms', 100],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['0s', 0],
    ['.5s', 500],
    ['250us', 0.25],
    ['250µs', 0.25],
    ['1000000ns', 1],
    ['1m0.5s', 60_500],
  ];
  for (const [text, ms] of cases) {
    test(`${text} is ${ms} ms`, () => assert.equal(parseDuration(text), ms));
  }

  for (const bad of ['', '10', '1.5', 's', '-1s', '1 s', '1sec', '1d', '1s ', ' 1s', '1.2.3s', 'ms', '1hh']) {
    test(`rejects ${JSON.stringify(bad)}`, () => {
      assert.equal(isDuration(bad), false);
      assert.throws(() => parseDuration(bad), (err: Error) => err.message.includes(JSON.stringify(bad)) && err.message.includes('"1.5s"'));
    });
  }

  test('isDuration rejects non-strings', () => {
    assert.equal(isDuration(10), false);
    assert.equal(isDuration(undefined), false);
    assert.equal(isDuration('10s'), true);
  });

  test('is reentrant: a failed parse does not affect the next', () => {
    assert.equal(isDuration('5x'), false);
    assert.equal(parseDuration('5s'), 5000);
  });
});
