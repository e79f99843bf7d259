import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDurationMs } from './duration.js';

test('parses Istio durations to whole milliseconds', () => {
  assert.equal(parseDurationMs('1.5s'), 1500);
  assert.equal(parseDurationMs('100ms'), 100);
  assert.equal(parseDurationMs('1m30s'), 90_000);
  assert.equal(parseDurationMs('2h'), 7_200_000);
  assert.equal(parseDurationMs('0s'), 0);
  assert.equal(parseDurationMs('1500us'), 2); // 1.5 ms rounds to 2
  assert.equal(parseDurationMs('.5s'), 500);
});

test('rejects durations without units or with junk, naming the input', () => {
  for (const bad of ['', '10', 's', '1.5 s', '1d', '5s10', '-1s']) {
    assert.throws(() => parseDurationMs(bad), (e: Error) => e.message.includes(`"${bad}"`), bad);
  }
});
