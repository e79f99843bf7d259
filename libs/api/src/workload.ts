// A workload as its proxy announces it to the control plane. The control plane's registry is
// the set of these; endpoints are computed from it (Kubernetes would use EndpointSlices).
export interface WorkloadInfo {
  /** Unique per proxy, e.g. "reviews-v1.default". */
  id: string;
  kind: 'sidecar' | 'gateway';
  /** Service short name, e.g. "reviews"; for a gateway, its own name ("istio-ingressgateway"). */
  service: string;
  namespace: string;
  serviceAccount: string;
  labels: Record<string, string>;
  /** Where other proxies reach this workload's inbound listener. */
  address: string;
  inboundPort: number;
  /** The service port callers use (9080 for the samples). */
  servicePort: number;
  /** The port's name, as a Kubernetes Service names it ("http", "grpc-ratings"): Istio reads its protocol from it. */
  servicePortName?: string;
  /** Kubernetes' appProtocol for the port; wins over the name. */
  appProtocol?: string;
  /** The proxy's admin port on `address`, when it announced one (metrics and certificates for the dashboard). */
  adminPort?: number;
  /** false when the sidecar's probe of its app fails: its endpoint is marked unhealthy everywhere. */
  healthy?: boolean;
}

export const DEFAULT_NAMESPACE = 'default';
export const CLUSTER_DOMAIN = 'svc.cluster.local';

export function serviceFqdn(service: string, namespace: string): string {
  return `${service}.${namespace}.${CLUSTER_DOMAIN}`;
}
