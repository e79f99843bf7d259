import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { planFault } from './fault.js';
import { applyHeaderOperations, rewritePath, shadowAuthority } from '@skiff/routing';
import { isRetriable, retryBackoffMs } from './retry-policy.js';

const fixed = (v: number) => () => v;

describe('fault injection plan', () => {
  test('no fault: no delay, no abort', () => assert.deepEqual(planFault(undefined, Math.random), { delayMs: 0 }));
  test('percentages decide with the random source (below percent = injected)', () => {
    const fault = { delay: { fixedDelayMs: 500, percent: 30 }, abort: { httpStatus: 503, percent: 10 } };
    assert.deepEqual(planFault(fault, fixed(0.05)), { delayMs: 500, abortStatus: 503 });
    assert.deepEqual(planFault(fault, fixed(0.2)), { delayMs: 500 });
    assert.deepEqual(planFault(fault, fixed(0.5)), { delayMs: 0 });
  });
  test('a gRPC abort carries its status beside the HTTP 200 it is answered with', () => {
    assert.deepEqual(planFault({ abort: { httpStatus: 200, grpcStatus: 14, percent: 100 } }, fixed(0.5)), { delayMs: 0, abortStatus: 200, abortGrpcStatus: 14 });
  });
  test('100% always and 0% never, whatever the random value', () => {
    assert.deepEqual(planFault({ abort: { httpStatus: 500, percent: 100 } }, fixed(0.9999)), { delayMs: 0, abortStatus: 500 });
    assert.deepEqual(planFault({ abort: { httpStatus: 500, percent: 0 } }, fixed(0)), { delayMs: 0 });
  });
});

describe('rewrite', () => {
  test('a prefix match has only the prefix replaced, query kept', () => {
    assert.equal(rewritePath('/v1/reviews/1?x=1', { prefix: '/v1/' }, '/'), '/reviews/1?x=1');
  });
  test('exact, regex or no uri match replace the whole path', () => {
    assert.equal(rewritePath('/old?q', { exact: '/old' }, '/new'), '/new?q');
    assert.equal(rewritePath('/a/b', { regex: '/a/.*' }, '/c'), '/c');
    assert.equal(rewritePath('/a/b', undefined, '/c'), '/c');
  });
  test('-shadow goes on the host, before the port (Envoy #2595)', () => {
    assert.equal(shadowAuthority('reviews:9080'), 'reviews-shadow:9080');
    assert.equal(shadowAuthority('reviews'), 'reviews-shadow');
    assert.equal(shadowAuthority('[::1]:80'), '[::1]-shadow:80');
  });
});

describe('header operations', () => {
  test('remove, then set (replace), then add (append), case-insensitively', () => {
    const h: Record<string, string | string[]> = { 'x-a': '1', 'x-b': '2', 'x-c': '3' };
    applyHeaderOperations(h, { remove: ['X-C'], set: { 'X-A': 'one' }, add: { 'x-b': 'two', 'x-new': 'n' } });
    assert.deepEqual(h, { 'x-a': 'one', 'x-b': ['2', 'two'], 'x-new': 'n' });
  });
});

describe('retry conditions (Envoy semantics)', () => {
  const policy = (retryOn: string[], codes: number[] = []) => ({ attempts: 2, retryOn, retriableStatusCodes: codes });
  test('5xx covers 5xx answers, connect failures, resets and per-try timeouts, not 4xx', () => {
    const p = policy(['5xx']);
    for (const o of [{ status: 500 }, { status: 503 }, { connectFailure: true }, { reset: true }, { perTryTimeout: true }]) assert.equal(isRetriable(p, o), true, JSON.stringify(o));
    for (const o of [{ status: 200 }, { status: 404 }, { status: 429 }]) assert.equal(isRetriable(p, o), false, JSON.stringify(o));
  });
  test('gateway-error is 502/503/504 among statuses, and every upstream reset, as Envoy counts them', () => {
    const p = policy(['gateway-error']);
    assert.deepEqual([500, 502, 503, 504].map((status) => isRetriable(p, { status })), [false, true, true, true]);
    for (const o of [{ connectFailure: true }, { reset: true }, { refusedStream: true }]) assert.equal(isRetriable(p, o), true, JSON.stringify(o));
  });
  test('refused-stream is HTTP/2 REFUSED_STREAM (or a refused connection), not any reset', () => {
    const p = policy(['refused-stream']);
    assert.equal(isRetriable(p, { refusedStream: true }), true);
    assert.equal(isRetriable(p, { connectFailure: true }), true);
    assert.equal(isRetriable(p, { reset: true }), false);
    assert.equal(isRetriable(policy(['reset']), { refusedStream: true }), true);
    assert.equal(isRetriable(policy(['5xx']), { refusedStream: true }), true);
    assert.equal(isRetriable(policy(['connect-failure']), { refusedStream: true }), false);
  });
  test('connect-failure, reset and retriable-status-codes are separate conditions', () => {
    assert.equal(isRetriable(policy(['connect-failure']), { reset: true }), false);
    assert.equal(isRetriable(policy(['connect-failure']), { connectFailure: true }), true);
    assert.equal(isRetriable(policy(['reset']), { reset: true }), true);
    assert.equal(isRetriable(policy(['retriable-status-codes'], [418]), { status: 418 }), true);
    assert.equal(isRetriable(policy(['retriable-status-codes'], [418]), { status: 500 }), false);
  });
  test('gRPC conditions read the grpc-status of a trailers-only answer, each its own code', () => {
    const cases: Array<[string, number]> = [['cancelled', 1], ['deadline-exceeded', 4], ['resource-exhausted', 8], ['internal', 13], ['unavailable', 14]];
    for (const [condition, code] of cases) {
      assert.equal(isRetriable(policy([condition]), { status: 200, grpcStatus: code }), true, condition);
      assert.equal(isRetriable(policy([condition]), { status: 200, grpcStatus: 5 }), false, `${condition} is not NOT_FOUND`);
      assert.equal(isRetriable(policy([condition]), { status: 503 }), false, `${condition} needs a gRPC status, not an HTTP one`);
    }
    assert.equal(isRetriable(policy(['5xx']), { status: 200, grpcStatus: 14 }), false, 'an HTTP condition does not read gRPC statuses');
  });
  test('no policy or zero attempts never retries', () => {
    assert.equal(isRetriable(undefined, { status: 503 }), false);
    assert.equal(isRetriable({ attempts: 0, retryOn: ['5xx'], retriableStatusCodes: [] }, { status: 503 }), false);
  });
  test('back-off is jittered under a doubling ceiling capped at 250 ms', () => {
    assert.equal(retryBackoffMs(0, fixed(0.999)), 24);
    assert.equal(retryBackoffMs(1, fixed(0.999)), 49);
    assert.equal(retryBackoffMs(10, fixed(0.999)), 249);
    assert.equal(retryBackoffMs(3, fixed(0)), 0);
  });
});
