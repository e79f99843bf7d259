import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterPolicySchema } from './snapshot.js';
import { compileTrafficPolicy } from './traffic-policy.js';
import type { TrafficPolicy } from './resources.js';
import { check, doc, summary } from './test-helpers.js';

const compile = (policy: TrafficPolicy | undefined) => {
  const out = compileTrafficPolicy(policy);
  // What the control plane sends always parses as the proxy parses a push.
  assert.deepEqual(ClusterPolicySchema.parse(out), out);
  return out;
};

describe('compileTrafficPolicy: defaults are what Istio programs', () => {
  test('no policy: LEAST_REQUEST, no breaker limits, 10s connect timeout, 1h idle timeout, no outlier detection', () => {
    assert.deepEqual(compile(undefined), { loadBalancer: { kind: 'LEAST_REQUEST' }, connectionPool: { connectTimeoutMs: 10_000, idleTimeoutMs: 3_600_000 } });
  });

  test('empty outlierDetection turns it on with Istio/Envoy defaults', () => {
    assert.deepEqual(compile({ outlierDetection: {} }).outlierDetection, {
      consecutive5xxErrors: 5,
      consecutiveGatewayErrors: 0,
      intervalMs: 10_000,
      baseEjectionTimeMs: 30_000,
      maxEjectionTimeMs: 300_000,
      maxEjectionPercent: 10,
      minHealthPercent: 0,
    });
  });

  test('tls mode is carried for auto mTLS', () => {
    assert.equal(compile({ tls: { mode: 'DISABLE' } }).tlsMode, 'DISABLE');
    assert.equal(compile({}).tlsMode, undefined);
  });
});

describe('compileTrafficPolicy: load balancer', () => {
  const lb = (loadBalancer: NonNullable<TrafficPolicy['loadBalancer']>) => compile({ loadBalancer }).loadBalancer;

  test('simple policies, UNSPECIFIED, the LEAST_CONN alias, and PASSTHROUGH run as ROUND_ROBIN', () => {
    assert.deepEqual(lb({ simple: 'ROUND_ROBIN' }), { kind: 'ROUND_ROBIN' });
    assert.deepEqual(lb({ simple: 'RANDOM' }), { kind: 'RANDOM' });
    assert.deepEqual(lb({ simple: 'LEAST_REQUEST' }), { kind: 'LEAST_REQUEST' });
    assert.deepEqual(lb({ simple: 'LEAST_CONN' }), { kind: 'LEAST_REQUEST' });
    assert.deepEqual(lb({ simple: 'UNSPECIFIED' }), { kind: 'LEAST_REQUEST' });
    assert.deepEqual(lb({ simple: 'PASSTHROUGH' }), { kind: 'ROUND_ROBIN' });
    assert.deepEqual(lb({}), { kind: 'LEAST_REQUEST' });
  });

  test('consistent hash keys; header names lower-cased as the codec keeps them', () => {
    assert.deepEqual(lb({ consistentHash: { httpHeaderName: 'X-User' } }), { kind: 'CONSISTENT_HASH', key: { header: 'x-user' } });
    assert.deepEqual(lb({ consistentHash: { useSourceIp: true } }), { kind: 'CONSISTENT_HASH', key: { sourceIp: true } });
    assert.deepEqual(lb({ consistentHash: { httpQueryParameterName: 'u' } }), { kind: 'CONSISTENT_HASH', key: { queryParameter: 'u' } });
    assert.deepEqual(lb({ consistentHash: { httpCookie: { name: 'user', path: '/', ttl: '1h' } } }), { kind: 'CONSISTENT_HASH', key: { cookie: { name: 'user', path: '/', ttlMs: 3_600_000 } } });
    assert.deepEqual(lb({ consistentHash: { httpCookie: { name: 'user' } } }), { kind: 'CONSISTENT_HASH', key: { cookie: { name: 'user' } } });
    assert.deepEqual(lb({ consistentHash: { httpCookie: { name: 'user', ttl: '0s' } } }), { kind: 'CONSISTENT_HASH', key: { cookie: { name: 'user', ttlMs: 0 } } });
  });
});

describe('compileTrafficPolicy: connection pool', () => {
  test('limits, timeouts; 0 is "not set" for the proto3 integers', () => {
    const pool = compile({
      connectionPool: {
        tcp: { maxConnections: 1, connectTimeout: '250ms' },
        http: { http1MaxPendingRequests: 2, http2MaxRequests: 0, maxRequestsPerConnection: 3, maxRetries: 4, idleTimeout: '30s' },
      },
    }).connectionPool;
    assert.deepEqual(pool, { connectTimeoutMs: 250, maxConnections: 1, maxPendingRequests: 2, maxRequestsPerConnection: 3, maxRetries: 4, idleTimeoutMs: 30_000 });
  });

  test('idleTimeout "0s" turns the idle timeout off', () => {
    assert.deepEqual(compile({ connectionPool: { http: { idleTimeout: '0s' } } }).connectionPool, { connectTimeoutMs: 10_000 });
  });
});

describe('compileTrafficPolicy: outlier detection', () => {
  test('explicit zeros switch a detector off; maxEjectionPercent 0 keeps 10%; a long base ejection raises the cap', () => {
    assert.deepEqual(compile({ outlierDetection: { consecutive5xxErrors: 0, consecutiveGatewayErrors: 2, interval: '1s', baseEjectionTime: '10m', maxEjectionPercent: 0, minHealthPercent: 50 } }).outlierDetection, {
      consecutive5xxErrors: 0,
      consecutiveGatewayErrors: 2,
      intervalMs: 1_000,
      baseEjectionTimeMs: 600_000,
      maxEjectionTimeMs: 600_000,
      maxEjectionPercent: 10,
      minHealthPercent: 50,
    });
  });
});

describe('what the compiler relies on is checked, field by field, when the config loads', () => {
  const rule = (trafficPolicy: unknown) => doc('DestinationRule', { host: 'reviews', trafficPolicy });
  const messages = (document: unknown) => summary(check(document).issues);

  test('durations Istio requires to be at least 1ms', () => {
    assert.deepEqual(messages(rule({ connectionPool: { tcp: { connectTimeout: '0s' } }, outlierDetection: { interval: '0.5ms', baseEjectionTime: '0s' } })).sort(), [
      'error spec.trafficPolicy.connectionPool.tcp.connectTimeout: duration "0s" is too short: it must be at least 1ms',
      'error spec.trafficPolicy.outlierDetection.baseEjectionTime: duration "0s" is too short: it must be at least 1ms',
      'error spec.trafficPolicy.outlierDetection.interval: duration "0.5ms" is too short: it must be at least 1ms',
    ]);
  });

  test('PASSTHROUGH is valid, with a warning that says what runs instead', () => {
    assert.deepEqual(messages(rule({ loadBalancer: { simple: 'PASSTHROUGH' } })), [
      "warning spec.trafficPolicy.loadBalancer.simple: PASSTHROUGH (send to the address the caller dialled) is not supported by Skiff; it runs as ROUND_ROBIN over the cluster's endpoints",
    ]);
  });
});
