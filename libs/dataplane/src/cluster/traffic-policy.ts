// A DestinationRule trafficPolicy (as carried in a snapshot Cluster) compiled once into typed,
// defaulted settings, so the request path never reads raw config. Defaults are what Istio
// actually programs into Envoy (pilot's cluster_traffic_policy.go), not Envoy's own defaults:
// Istio raises every circuit breaker to 2^32-1, leaves consecutive gateway errors unenforced and
// disables the panic threshold.
import { parseDuration } from '@skiff/api';

export type HashKeySource =
  | { header: string }
  | { cookie: { name: string; path?: string; ttlMs?: number } }
  | { sourceIp: true }
  | { queryParameter: string };

export type LoadBalancerPolicy = { kind: 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' } | { kind: 'CONSISTENT_HASH'; key: HashKeySource };

export interface ConnectionPoolPolicy {
  /** tcp.maxConnections: connections to the whole cluster (Envoy's breakers are per cluster). */
  maxConnections: number;
  /** http.http1MaxPendingRequests: requests allowed to wait for a connection. */
  maxPendingRequests: number;
  /** http.http2MaxRequests: requests outstanding to the cluster (Envoy applies it to HTTP/1.1 too). */
  maxRequests: number;
  /** http.maxRequestsPerConnection; 0 means unlimited (keep-alive forever). */
  maxRequestsPerConnection: number;
  /** http.maxRetries: retries outstanding to the cluster at once. */
  maxRetries: number;
  connectTimeoutMs: number;
  /** Idle upstream connections are closed after this; Infinity when "0s" disables it. */
  idleTimeoutMs: number;
}

export interface OutlierDetectionPolicy {
  /** 0 disables this detector. */
  consecutive5xxErrors: number;
  /** 0 disables this detector (Istio's default: Envoy counts them but does not enforce). */
  consecutiveGatewayErrors: number;
  intervalMs: number;
  baseEjectionTimeMs: number;
  /** Envoy's max_ejection_time, which Istio does not expose: 300 s, or baseEjectionTime if longer. */
  maxEjectionTimeMs: number;
  maxEjectionPercent: number;
  /** Below this % of healthy hosts the load balancer panics and uses every host; 0 disables. */
  minHealthPercent: number;
}

export interface ClusterPolicy {
  loadBalancer: LoadBalancerPolicy;
  connectionPool: ConnectionPoolPolicy;
  /** Present only when the DestinationRule sets outlierDetection (Istio enables it only then). */
  outlierDetection?: OutlierDetectionPolicy;
  /** Things the user wrote that Skiff runs differently, worth a log line when the snapshot loads. */
  notes: string[];
}

/** Istio's default simple load balancer since 1.14 (defaultLBAlgorithm in pilot). */
export const DEFAULT_LOAD_BALANCER: LoadBalancerPolicy = { kind: 'LEAST_REQUEST' };

export const DEFAULT_CONNECTION_POOL: Readonly<ConnectionPoolPolicy> = Object.freeze({
  maxConnections: Infinity,
  maxPendingRequests: Infinity,
  maxRequests: Infinity,
  maxRequestsPerConnection: 0,
  maxRetries: Infinity,
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

/**
 * Compiles a snapshot Cluster's `trafficPolicy`. The control plane has validated it already, so
 * a bad value here means a broken snapshot: it throws an error naming the field, which makes
 * the proxy NACK the push and keep its last good configuration.
 */
export function compileTrafficPolicy(raw: Record<string, unknown> | undefined, where = 'trafficPolicy'): ClusterPolicy {
  const notes: string[] = [];
  const policy = raw ?? {};
  const lb = optionalObject(policy, 'loadBalancer', where);
  const pool = optionalObject(policy, 'connectionPool', where);
  const outlier = optionalObject(policy, 'outlierDetection', where);
  const result: ClusterPolicy = {
    loadBalancer: lb ? compileLoadBalancer(lb, `${where}.loadBalancer`, notes) : DEFAULT_LOAD_BALANCER,
    connectionPool: pool ? compileConnectionPool(pool, `${where}.connectionPool`) : { ...DEFAULT_CONNECTION_POOL },
    notes,
  };
  if (outlier) result.outlierDetection = compileOutlierDetection(outlier, `${where}.outlierDetection`);
  return result;
}

function compileLoadBalancer(lb: Record<string, unknown>, where: string, notes: string[]): LoadBalancerPolicy {
  const hash = optionalObject(lb, 'consistentHash', where);
  if (hash) {
    if (lb['simple'] !== undefined) notes.push(`${where}: both simple and consistentHash are set; consistentHash wins, as in Istio`);
    for (const tuning of ['ringHash', 'maglev', 'minimumRingSize']) {
      if (hash[tuning] !== undefined) notes.push(`${where}.consistentHash.${tuning} is ignored: Skiff always uses a ring hash with a fixed number of points per host`);
    }
    return { kind: 'CONSISTENT_HASH', key: compileHashKey(hash, `${where}.consistentHash`) };
  }
  const simple = lb['simple'];
  switch (simple) {
    case undefined:
    case 'UNSPECIFIED':
      return DEFAULT_LOAD_BALANCER;
    case 'LEAST_REQUEST':
    case 'LEAST_CONN': // deprecated alias; Istio programs LEAST_REQUEST for both
      return { kind: 'LEAST_REQUEST' };
    case 'ROUND_ROBIN':
    case 'RANDOM':
      return { kind: simple };
    case 'PASSTHROUGH':
      notes.push(`${where}.simple: PASSTHROUGH (send to the address the caller dialled) is not supported by Skiff; using ROUND_ROBIN over the cluster's endpoints`);
      return { kind: 'ROUND_ROBIN' };
    default:
      throw new Error(`${where}.simple: unknown load balancer ${JSON.stringify(simple)}; use one of UNSPECIFIED, LEAST_REQUEST, ROUND_ROBIN, RANDOM, PASSTHROUGH`);
  }
}

function compileHashKey(hash: Record<string, unknown>, where: string): HashKeySource {
  const header = optionalString(hash, 'httpHeaderName', where);
  if (header !== undefined) return { header: header.toLowerCase() }; // Node lower-cases incoming header names
  const cookie = optionalObject(hash, 'httpCookie', where);
  if (cookie) {
    const name = optionalString(cookie, 'name', `${where}.httpCookie`);
    if (!name) throw new Error(`${where}.httpCookie.name: a cookie name is required`);
    const path = optionalString(cookie, 'path', `${where}.httpCookie`);
    const ttlMs = optionalDuration(cookie, 'ttl', `${where}.httpCookie`);
    return { cookie: { name, ...(path !== undefined && { path }), ...(ttlMs !== undefined && { ttlMs }) } };
  }
  if (hash['useSourceIp'] === true) return { sourceIp: true };
  const query = optionalString(hash, 'httpQueryParameterName', where);
  if (query !== undefined) return { queryParameter: query };
  throw new Error(`${where}: consistentHash needs one hash key: httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName`);
}

// Istio cannot tell 0 from "not set" for these integers (proto3 scalars), so 0 keeps the default.
function compileConnectionPool(pool: Record<string, unknown>, where: string): ConnectionPoolPolicy {
  const tcp = optionalObject(pool, 'tcp', where) ?? {};
  const http = optionalObject(pool, 'http', where) ?? {};
  const d = DEFAULT_CONNECTION_POOL;
  const connectTimeoutMs = optionalDuration(tcp, 'connectTimeout', `${where}.tcp`) ?? d.connectTimeoutMs;
  if (connectTimeoutMs < 1) throw new Error(`${where}.tcp.connectTimeout: must be at least 1ms`);
  const idle = optionalDuration(http, 'idleTimeout', `${where}.http`) ?? optionalDuration(tcp, 'idleTimeout', `${where}.tcp`);
  return {
    maxConnections: positiveOr(tcp, 'maxConnections', `${where}.tcp`, d.maxConnections),
    maxPendingRequests: positiveOr(http, 'http1MaxPendingRequests', `${where}.http`, d.maxPendingRequests),
    maxRequests: positiveOr(http, 'http2MaxRequests', `${where}.http`, d.maxRequests),
    maxRequestsPerConnection: positiveOr(http, 'maxRequestsPerConnection', `${where}.http`, 0),
    maxRetries: positiveOr(http, 'maxRetries', `${where}.http`, d.maxRetries),
    connectTimeoutMs,
    idleTimeoutMs: idle === undefined ? d.idleTimeoutMs : idle === 0 ? Infinity : idle,
  };
}

function compileOutlierDetection(o: Record<string, unknown>, where: string): OutlierDetectionPolicy {
  const d = DEFAULT_OUTLIER_DETECTION;
  const intervalMs = optionalDuration(o, 'interval', where) ?? d.intervalMs;
  const baseEjectionTimeMs = optionalDuration(o, 'baseEjectionTime', where) ?? d.baseEjectionTimeMs;
  if (intervalMs < 1) throw new Error(`${where}.interval: must be at least 1ms`);
  if (baseEjectionTimeMs < 1) throw new Error(`${where}.baseEjectionTime: must be at least 1ms`);
  return {
    // Unlike the pool limits, these are wrapped integers in Istio's API, so an explicit 0 means "off".
    consecutive5xxErrors: optionalCount(o, 'consecutive5xxErrors', where) ?? d.consecutive5xxErrors,
    consecutiveGatewayErrors: optionalCount(o, 'consecutiveGatewayErrors', where) ?? d.consecutiveGatewayErrors,
    intervalMs,
    baseEjectionTimeMs,
    maxEjectionTimeMs: Math.max(d.maxEjectionTimeMs, baseEjectionTimeMs),
    // A plain int in Istio's API: 0 cannot be told from unset and leaves Envoy's 10%.
    maxEjectionPercent: Math.min(100, positiveOr(o, 'maxEjectionPercent', where, d.maxEjectionPercent)),
    minHealthPercent: Math.min(100, optionalCount(o, 'minHealthPercent', where) ?? d.minHealthPercent),
  };
}

// --- small readers that name the field when the value has the wrong type ---

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'string' ? JSON.stringify(value) : typeof value;
}

function optionalObject(parent: Record<string, unknown>, key: string, where: string): Record<string, unknown> | undefined {
  const value = parent[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where}.${key}: expected an object, got ${describe(value)}`);
  return value as Record<string, unknown>;
}

function optionalString(parent: Record<string, unknown>, key: string, where: string): string | undefined {
  const value = parent[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new Error(`${where}.${key}: expected a string, got ${describe(value)}`);
  return value;
}

function optionalCount(parent: Record<string, unknown>, key: string, where: string): number | undefined {
  const value = parent[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new Error(`${where}.${key}: expected a whole number of at least 0, got ${describe(value)}`);
  }
  return value;
}

function positiveOr(parent: Record<string, unknown>, key: string, where: string, fallback: number): number {
  const value = optionalCount(parent, key, where);
  return value === undefined || value === 0 ? fallback : value;
}

function optionalDuration(parent: Record<string, unknown>, key: string, where: string): number | undefined {
  const value = parent[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new Error(`${where}.${key}: expected a duration string such as "10s", got ${describe(value)}`);
  try {
    return parseDuration(value);
  } catch (error) {
    throw new Error(`${where}.${key}: ${(error as Error).message}`);
  }
}
