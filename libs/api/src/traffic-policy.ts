// A validated DestinationRule trafficPolicy compiled into the cluster policy a proxy runs: typed,
// durations in milliseconds, Istio's defaults filled in. The control plane calls this once per
// push, after the schemas have checked every field (and named file and field when one is wrong),
// so it cannot fail. The defaults are what Istio programs into Envoy (pilot's
// networking/core/cluster_traffic_policy.go), not Envoy's own: every circuit breaker raised to
// 2^32-1 (here: no limit), gateway errors counted but not enforced, no panic threshold.
import { parseDuration } from './duration.js';
import type { ConnectionPoolSettings, LoadBalancerSettings, OutlierDetection, TrafficPolicy } from './resources.js';
import type { ClusterPolicySnapshot, ConnectionPoolPolicySnapshot, HashKeySource, LoadBalancerPolicy, OutlierDetectionPolicy } from './snapshot.js';

/** Istio's default simple load balancer since 1.14 (defaultLBAlgorithm in pilot). */
export const DEFAULT_LOAD_BALANCER: LoadBalancerPolicy = Object.freeze({ kind: 'LEAST_REQUEST' });

export const DEFAULT_CONNECTION_POOL_POLICY: Readonly<ConnectionPoolPolicySnapshot> = Object.freeze({
  connectTimeoutMs: 10_000, // MeshConfig.connectTimeout
  idleTimeoutMs: 3_600_000, // Envoy's HTTP idle timeout when none is set
});

export const DEFAULT_OUTLIER_DETECTION: Readonly<OutlierDetectionPolicy> = Object.freeze({
  consecutive5xxErrors: 5,
  consecutiveGatewayErrors: 0,
  intervalMs: 10_000,
  baseEjectionTimeMs: 30_000,
  maxEjectionTimeMs: 300_000,
  maxEjectionPercent: 10,
  minHealthPercent: 0,
});

/** A cluster with no DestinationRule policy. */
export const DEFAULT_CLUSTER_POLICY: Readonly<ClusterPolicySnapshot> = Object.freeze({ loadBalancer: DEFAULT_LOAD_BALANCER, connectionPool: DEFAULT_CONNECTION_POOL_POLICY });

export function compileTrafficPolicy(policy: TrafficPolicy | undefined): ClusterPolicySnapshot {
  const out: ClusterPolicySnapshot = {
    loadBalancer: policy?.loadBalancer ? compileLoadBalancer(policy.loadBalancer) : DEFAULT_LOAD_BALANCER,
    connectionPool: policy?.connectionPool ? compileConnectionPool(policy.connectionPool) : DEFAULT_CONNECTION_POOL_POLICY,
  };
  if (policy?.outlierDetection) out.outlierDetection = compileOutlierDetection(policy.outlierDetection);
  if (policy?.tls) {
    out.tlsMode = policy.tls.mode;
    const tls = policy.tls;
    if (tls.mode === 'SIMPLE' || tls.mode === 'MUTUAL') {
      const origination: NonNullable<ClusterPolicySnapshot['tls']> = { mode: tls.mode };
      for (const key of ['sni', 'caCertificates', 'clientCertificate', 'privateKey', 'credentialName', 'insecureSkipVerify'] as const) {
        if (tls[key] !== undefined) (origination as Record<string, unknown>)[key] = tls[key];
      }
      if (tls.subjectAltNames) origination.subjectAltNames = [...tls.subjectAltNames];
      out.tls = origination;
    }
  }
  return out;
}

function compileLoadBalancer(lb: LoadBalancerSettings): LoadBalancerPolicy {
  // The schema allows simple or consistentHash, not both. Ring-hash tuning (ringHash, maglev,
  // minimumRingSize) is warned about and dropped there: Skiff's ring has a fixed size.
  if (lb.consistentHash) return { kind: 'CONSISTENT_HASH', key: compileHashKey(lb.consistentHash) };
  switch (lb.simple) {
    case undefined:
    case 'UNSPECIFIED':
    case 'LEAST_REQUEST':
    case 'LEAST_CONN': // deprecated alias; Istio programs LEAST_REQUEST for both
      return DEFAULT_LOAD_BALANCER;
    case 'ROUND_ROBIN':
    case 'RANDOM':
      return { kind: lb.simple };
    case 'PASSTHROUGH':
      // Sending to the address the caller dialled needs an original-destination listener; the
      // validator warns that Skiff runs this as ROUND_ROBIN over the cluster's endpoints.
      return { kind: 'ROUND_ROBIN' };
  }
}

function compileHashKey(hash: NonNullable<LoadBalancerSettings['consistentHash']>): HashKeySource {
  // Header names are compared in lower case, as the codec keeps them.
  if (hash.httpHeaderName !== undefined) return { header: hash.httpHeaderName.toLowerCase() };
  if (hash.httpCookie) {
    const { name, path, ttl } = hash.httpCookie;
    return { cookie: { name, ...(path !== undefined && { path }), ...(ttl !== undefined && { ttlMs: parseDuration(ttl) }) } };
  }
  if (hash.useSourceIp) return { sourceIp: true };
  return { queryParameter: hash.httpQueryParameterName as string };
}

function compileConnectionPool(pool: ConnectionPoolSettings): ConnectionPoolPolicySnapshot {
  const tcp = pool.tcp ?? {};
  const http = pool.http ?? {};
  const out: ConnectionPoolPolicySnapshot = {
    connectTimeoutMs: tcp.connectTimeout === undefined ? DEFAULT_CONNECTION_POOL_POLICY.connectTimeoutMs : parseDuration(tcp.connectTimeout),
  };
  const limits: Array<['maxConnections' | 'maxPendingRequests' | 'maxRequests' | 'maxRequestsPerConnection' | 'maxRetries', number | undefined]> = [
    ['maxConnections', tcp.maxConnections],
    ['maxPendingRequests', http.http1MaxPendingRequests],
    ['maxRequests', http.http2MaxRequests],
    ['maxRequestsPerConnection', http.maxRequestsPerConnection],
    ['maxRetries', http.maxRetries],
  ];
  // Istio cannot tell 0 from "not set" for these integers (proto3 scalars), so 0 is no limit.
  for (const [field, value] of limits) if (value) out[field] = value;
  if (http.idleTimeout === undefined) out.idleTimeoutMs = DEFAULT_CONNECTION_POOL_POLICY.idleTimeoutMs;
  else if (parseDuration(http.idleTimeout) > 0) out.idleTimeoutMs = parseDuration(http.idleTimeout); // "0s" turns it off
  return out;
}

function compileOutlierDetection(o: OutlierDetection): OutlierDetectionPolicy {
  const d = DEFAULT_OUTLIER_DETECTION;
  const baseEjectionTimeMs = o.baseEjectionTime === undefined ? d.baseEjectionTimeMs : parseDuration(o.baseEjectionTime);
  return {
    // Unlike the pool limits, these are wrapped integers in Istio's API, so an explicit 0 means "off".
    consecutive5xxErrors: o.consecutive5xxErrors ?? d.consecutive5xxErrors,
    consecutiveGatewayErrors: o.consecutiveGatewayErrors ?? d.consecutiveGatewayErrors,
    intervalMs: o.interval === undefined ? d.intervalMs : parseDuration(o.interval),
    baseEjectionTimeMs,
    maxEjectionTimeMs: Math.max(d.maxEjectionTimeMs, baseEjectionTimeMs),
    // A plain int in Istio's API: 0 cannot be told from unset and leaves Envoy's 10%.
    maxEjectionPercent: o.maxEjectionPercent ? o.maxEjectionPercent : d.maxEjectionPercent,
    minHealthPercent: o.minHealthPercent ?? d.minHealthPercent,
  };
}
