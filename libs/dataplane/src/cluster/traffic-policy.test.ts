import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTrafficPolicy, DEFAULT_CONNECTION_POOL } from './traffic-policy.js';

describe('compileTrafficPolicy: defaults are what Istio programs', () => {
  test('no policy: LEAST_REQUEST, unlimited breakers, 10s connect timeout, no outlier detection', () => {
    const p = compileTrafficPolicy(undefined);
    assert.deepEqual(p.loadBalancer, { kind: 'LEAST_REQUEST' });
    assert.deepEqual(p.connectionPool, {
      maxConnections: Infinity,
      maxPendingRequests: Infinity,
      maxRequests: Infinity,
      maxRequestsPerConnection: 0,
      maxRetries: Infinity,
      connectTimeoutMs: 10_000,
      idleTimeoutMs: 3_600_000,
    });
    assert.equal(p.outlierDetection, undefined);
    assert.deepEqual(p.notes, []);
  });

  test('empty outlierDetection turns it on with Istio/Envoy defaults', () => {
    assert.deepEqual(compileTrafficPolicy({ outlierDetection: {} }).outlierDetection, {
      consecutive5xxErrors: 5,
      consecutiveGatewayErrors: 0,
      intervalMs: 10_000,
      baseEjectionTimeMs: 30_000,
      maxEjectionTimeMs: 300_000,
      maxEjectionPercent: 10,
      minHealthPercent: 0,
    });
  });
});

describe('compileTrafficPolicy: load balancer', () => {
  const lb = (loadBalancer: unknown) => compileTrafficPolicy({ loadBalancer }).loadBalancer;

  test('simple policies, UNSPECIFIED and the LEAST_CONN alias', () => {
    assert.deepEqual(lb({ simple: 'ROUND_ROBIN' }), { kind: 'ROUND_ROBIN' });
    assert.deepEqual(lb({ simple: 'RANDOM' }), { kind: 'RANDOM' });
    assert.deepEqual(lb({ simple: 'LEAST_REQUEST' }), { kind: 'LEAST_REQUEST' });
    assert.deepEqual(lb({ simple: 'LEAST_CONN' }), { kind: 'LEAST_REQUEST' });
    assert.deepEqual(lb({ simple: 'UNSPECIFIED' }), { kind: 'LEAST_REQUEST' });
    assert.deepEqual(lb({}), { kind: 'LEAST_REQUEST' });
  });

  test('PASSTHROUGH runs as ROUND_ROBIN and says so', () => {
    const p = compileTrafficPolicy({ loadBalancer: { simple: 'PASSTHROUGH' } });
    assert.deepEqual(p.loadBalancer, { kind: 'ROUND_ROBIN' });
    assert.equal(p.notes.length, 1);
    assert.match(p.notes[0] as string, /trafficPolicy\.loadBalancer\.simple: PASSTHROUGH .* using ROUND_ROBIN/);
  });

  test('consistent hash keys', () => {
    assert.deepEqual(lb({ consistentHash: { httpHeaderName: 'X-User' } }), { kind: 'CONSISTENT_HASH', key: { header: 'x-user' } });
    assert.deepEqual(lb({ consistentHash: { useSourceIp: true } }), { kind: 'CONSISTENT_HASH', key: { sourceIp: true } });
    assert.deepEqual(lb({ consistentHash: { httpQueryParameterName: 'u' } }), { kind: 'CONSISTENT_HASH', key: { queryParameter: 'u' } });
    assert.deepEqual(lb({ consistentHash: { httpCookie: { name: 'user', path: '/', ttl: '1h' } } }), {
      kind: 'CONSISTENT_HASH',
      key: { cookie: { name: 'user', path: '/', ttlMs: 3_600_000 } },
    });
    assert.deepEqual(lb({ consistentHash: { httpCookie: { name: 'user' } } }), { kind: 'CONSISTENT_HASH', key: { cookie: { name: 'user' } } });
    assert.deepEqual(lb({ consistentHash: { httpCookie: { name: 'user', ttl: '0s' } } }), {
      kind: 'CONSISTENT_HASH',
      key: { cookie: { name: 'user', ttlMs: 0 } },
    });
  });

  test('ring tuning Skiff does not offer is noted, not fatal', () => {
    const p = compileTrafficPolicy({ loadBalancer: { consistentHash: { useSourceIp: true, maglev: { tableSize: 65537 } } } });
    assert.deepEqual(p.loadBalancer, { kind: 'CONSISTENT_HASH', key: { sourceIp: true } });
    assert.deepEqual(p.notes, ['trafficPolicy.loadBalancer.consistentHash.maglev is ignored: Skiff always uses a ring hash with a fixed number of points per host']);
  });

  test('bad values name the field', () => {
    assert.throws(() => lb({ simple: 'FASTEST' }), /trafficPolicy\.loadBalancer\.simple: unknown load balancer "FASTEST"/);
    assert.throws(() => lb({ consistentHash: {} }), /trafficPolicy\.loadBalancer\.consistentHash: consistentHash needs one hash key/);
    assert.throws(() => lb({ consistentHash: { httpCookie: { name: 'u', ttl: 'soon' } } }), /consistentHash\.httpCookie\.ttl: invalid duration "soon"/);
    assert.throws(() => compileTrafficPolicy({ loadBalancer: 'RANDOM' }, 'cluster reviews'), /^Error: cluster reviews\.loadBalancer: expected an object, got "RANDOM"/);
  });
});

describe('compileTrafficPolicy: connection pool', () => {
  test('limits, timeouts and Istio treating 0 as "not set"', () => {
    const p = compileTrafficPolicy({
      connectionPool: {
        tcp: { maxConnections: 1, connectTimeout: '250ms' },
        http: { http1MaxPendingRequests: 2, http2MaxRequests: 0, maxRequestsPerConnection: 10, maxRetries: 3, idleTimeout: '30s' },
      },
    }).connectionPool;
    assert.deepEqual(p, {
      maxConnections: 1,
      maxPendingRequests: 2,
      maxRequests: Infinity,
      maxRequestsPerConnection: 10,
      maxRetries: 3,
      connectTimeoutMs: 250,
      idleTimeoutMs: 30_000,
    });
  });

  test('idleTimeout "0s" disables it; only tcp given keeps HTTP defaults', () => {
    assert.equal(compileTrafficPolicy({ connectionPool: { http: { idleTimeout: '0s' } } }).connectionPool.idleTimeoutMs, Infinity);
    assert.deepEqual(compileTrafficPolicy({ connectionPool: { tcp: { maxConnections: 100 } } }).connectionPool, {
      ...DEFAULT_CONNECTION_POOL,
      maxConnections: 100,
    });
  });

  test('bad values name the field', () => {
    assert.throws(() => compileTrafficPolicy({ connectionPool: { tcp: { maxConnections: -1 } } }), /connectionPool\.tcp\.maxConnections: expected a whole number/);
    assert.throws(() => compileTrafficPolicy({ connectionPool: { tcp: { connectTimeout: '0s' } } }), /connectionPool\.tcp\.connectTimeout: must be at least 1ms/);
    assert.throws(() => compileTrafficPolicy({ connectionPool: { http: { idleTimeout: 30 } } }), /connectionPool\.http\.idleTimeout: expected a duration string/);
  });
});

describe('compileTrafficPolicy: outlier detection', () => {
  const od = (outlierDetection: unknown) => compileTrafficPolicy({ outlierDetection }).outlierDetection;

  test('given values win, durations in ms', () => {
    assert.deepEqual(od({ consecutive5xxErrors: 3, consecutiveGatewayErrors: 2, interval: '1s', baseEjectionTime: '15s', maxEjectionPercent: 100, minHealthPercent: 50 }), {
      consecutive5xxErrors: 3,
      consecutiveGatewayErrors: 2,
      intervalMs: 1000,
      baseEjectionTimeMs: 15_000,
      maxEjectionTimeMs: 300_000,
      maxEjectionPercent: 100,
      minHealthPercent: 50,
    });
  });

  test('explicit 0 disables a detector; maxEjectionPercent 0 keeps 10% as in Istio', () => {
    const p = od({ consecutive5xxErrors: 0, maxEjectionPercent: 0 });
    assert.equal(p?.consecutive5xxErrors, 0);
    assert.equal(p?.maxEjectionPercent, 10);
  });

  test('a base ejection time over 300s raises the cap to match, as Envoy does', () => {
    assert.equal(od({ baseEjectionTime: '10m' })?.maxEjectionTimeMs, 600_000);
  });

  test('bad values name the field', () => {
    assert.throws(() => od({ interval: 10 }), /outlierDetection\.interval: expected a duration string such as "10s", got number/);
    assert.throws(() => od({ consecutive5xxErrors: 1.5 }), /outlierDetection\.consecutive5xxErrors: expected a whole number/);
  });
});
