import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CircuitBreaker } from './circuit-breaker.js';
import { DEFAULT_CONNECTION_POOL } from './traffic-policy.js';

const limits = (l: Partial<typeof DEFAULT_CONNECTION_POOL>) => ({ ...DEFAULT_CONNECTION_POOL, ...l });

function acquire(breaker: CircuitBreaker, n: number): boolean[] {
  return Array.from({ length: n }, () => breaker.tryAcquire());
}

describe('CircuitBreaker', () => {
  test('Istio’s circuit-breaking task: 1 connection + 1 pending admits two, the third overflows', () => {
    const breaker = new CircuitBreaker(limits({ maxConnections: 1, maxPendingRequests: 1 }));
    assert.deepEqual(acquire(breaker, 3), [true, true, false]);
    assert.deepEqual({ active: breaker.active, pending: breaker.pending, overflows: breaker.overflows }, { active: 1, pending: 1, overflows: 1 });
  });

  test('release frees a place; the waiting request moves into service', () => {
    const breaker = new CircuitBreaker(limits({ maxConnections: 2, maxPendingRequests: 1 }));
    assert.deepEqual(acquire(breaker, 4), [true, true, true, false]);
    breaker.release();
    assert.equal(breaker.active, 2);
    assert.equal(breaker.pending, 0);
    assert.equal(breaker.tryAcquire(), true);
    assert.equal(breaker.tryAcquire(), false);
    assert.equal(breaker.overflows, 2);
  });

  test('maxRequests caps in-service plus waiting', () => {
    const breaker = new CircuitBreaker(limits({ maxConnections: 10, maxPendingRequests: 10, maxRequests: 3 }));
    assert.deepEqual(acquire(breaker, 4), [true, true, true, false]);
    assert.equal(breaker.stats.remainingRequests, 0);
  });

  test('Istio defaults never overflow', () => {
    const breaker = new CircuitBreaker(DEFAULT_CONNECTION_POOL);
    assert.ok(acquire(breaker, 10_000).every(Boolean));
    assert.equal(breaker.active, 10_000);
    assert.equal(breaker.pending, 0);
    assert.equal(breaker.stats.remainingRequests, Infinity);
  });

  test('release never goes below zero (a double release cannot open extra capacity)', () => {
    const breaker = new CircuitBreaker(limits({ maxConnections: 1, maxPendingRequests: 1 }));
    breaker.release();
    assert.deepEqual(acquire(breaker, 3), [true, true, false]);
  });

  test('retries have their own limit', () => {
    const breaker = new CircuitBreaker(limits({ maxRetries: 2 }));
    assert.deepEqual([breaker.tryAcquireRetry(), breaker.tryAcquireRetry(), breaker.tryAcquireRetry()], [true, true, false]);
    breaker.releaseRetry();
    assert.equal(breaker.tryAcquireRetry(), true);
    assert.deepEqual(
      { activeRetries: breaker.stats.activeRetries, retryOverflows: breaker.stats.retryOverflows, overflows: breaker.stats.overflows },
      { activeRetries: 2, retryOverflows: 1, overflows: 0 },
    );
  });
});
