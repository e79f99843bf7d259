import assert from 'node:assert/strict';
import { test } from 'node:test';
import { effectiveTimeoutMs, grpcTimeoutMs } from './grpc-timeout.js';

test('grpc-timeout in each unit, rounded up to whole ms', () => {
  assert.equal(grpcTimeoutMs('1H'), 3_600_000);
  assert.equal(grpcTimeoutMs('2M'), 120_000);
  assert.equal(grpcTimeoutMs('3S'), 3000);
  assert.equal(grpcTimeoutMs('250m'), 250);
  assert.equal(grpcTimeoutMs('1500u'), 2);
  assert.equal(grpcTimeoutMs('99999999n'), 100);
});

test('a malformed grpc-timeout is ignored', () => {
  for (const bad of [undefined, '', 'S', '10', '10s', '-1S', '1.5S', '123456789S', ['1S']]) assert.equal(grpcTimeoutMs(bad as string | undefined), undefined, String(bad));
});

test("the client's deadline lowers the route's timeout, never raises it; no route timeout means the deadline alone", () => {
  assert.equal(effectiveTimeoutMs(1000, 300), 300);
  assert.equal(effectiveTimeoutMs(300, 1000), 300);
  assert.equal(effectiveTimeoutMs(undefined, 1000), 1000);
  assert.equal(effectiveTimeoutMs(0, 1000), 1000);
  assert.equal(effectiveTimeoutMs(500, undefined), 500);
  assert.equal(effectiveTimeoutMs(undefined, undefined), undefined);
});
