// A cluster's policy as the proxy runs it. The control plane compiled the DestinationRule's
// trafficPolicy into typed settings with Istio's defaults (libs/api traffic-policy.ts); here the
// limits it leaves out ("none") become Infinity, so the breakers compare numbers and nothing on
// the request path reads config.
import {
  DEFAULT_CLUSTER_POLICY,
  DEFAULT_CONNECTION_POOL_POLICY,
  DEFAULT_OUTLIER_DETECTION,
  type ClusterPolicySnapshot,
  type ConnectionPoolPolicySnapshot,
  type HashKeySource,
  type LoadBalancerPolicy,
  type OutlierDetectionPolicy,
} from '@skiff/api';

export { DEFAULT_OUTLIER_DETECTION };
export type { HashKeySource, LoadBalancerPolicy, OutlierDetectionPolicy };

export interface ConnectionPoolPolicy {
  maxConnections: number;
  maxPendingRequests: number;
  maxRequests: number;
  /** 0 means unlimited (keep-alive forever). */
  maxRequestsPerConnection: number;
  maxRetries: number;
  connectTimeoutMs: number;
  /** Infinity when disabled. */
  idleTimeoutMs: number;
}

export interface ClusterPolicy {
  loadBalancer: LoadBalancerPolicy;
  connectionPool: ConnectionPoolPolicy;
  outlierDetection?: OutlierDetectionPolicy;
  /** DISABLE: no auto mTLS to this cluster's sidecar endpoints. */
  tlsMode?: ClusterPolicySnapshot['tlsMode'];
  /** TLS this proxy originates to endpoints without a sidecar (DestinationRule tls SIMPLE or MUTUAL). */
  tls?: ClusterPolicySnapshot['tls'];
}

export function connectionPoolPolicy(p: ConnectionPoolPolicySnapshot): ConnectionPoolPolicy {
  return {
    maxConnections: p.maxConnections ?? Infinity,
    maxPendingRequests: p.maxPendingRequests ?? Infinity,
    maxRequests: p.maxRequests ?? Infinity,
    maxRequestsPerConnection: p.maxRequestsPerConnection ?? 0,
    maxRetries: p.maxRetries ?? Infinity,
    connectTimeoutMs: p.connectTimeoutMs,
    idleTimeoutMs: p.idleTimeoutMs ?? Infinity,
  };
}

export const DEFAULT_CONNECTION_POOL: Readonly<ConnectionPoolPolicy> = Object.freeze(connectionPoolPolicy(DEFAULT_CONNECTION_POOL_POLICY));

/** The runtime view of a snapshot cluster's policy (absent: Istio's defaults). */
export function clusterPolicy(snapshot: ClusterPolicySnapshot | undefined): ClusterPolicy {
  const p = snapshot ?? DEFAULT_CLUSTER_POLICY;
  const out: ClusterPolicy = { loadBalancer: p.loadBalancer, connectionPool: connectionPoolPolicy(p.connectionPool) };
  if (p.outlierDetection) out.outlierDetection = p.outlierDetection;
  if (p.tlsMode) out.tlsMode = p.tlsMode;
  if (p.tls) out.tls = p.tls;
  return out;
}
