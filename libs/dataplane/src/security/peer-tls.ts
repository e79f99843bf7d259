// Istio's auto mTLS: traffic to an endpoint that has a sidecar goes over mutual TLS with our
// workload certificate, unless a DestinationRule says `tls.mode: DISABLE`; the server must
// present the identity the control plane recorded for that endpoint.
import type { ClusterRuntime } from '../core/cluster-runtime.js';
import type { Host } from '../cluster/index.js';
import type { PeerTls } from '../core/upstream-pools.js';
import type { WorkloadCertificate } from './identity.js';

export function peerTlsFor(cert: WorkloadCertificate | undefined, cluster: ClusterRuntime, host: Host): PeerTls | undefined {
  if (!cert) return undefined;
  const endpoint = host.endpoint as typeof host.endpoint & { identity?: string; tlsMode?: string };
  if (!endpoint.identity || endpoint.tlsMode !== 'istio') return undefined;
  if (cluster.policy.tlsMode === 'DISABLE') return undefined;
  return { key: cert.tls.key, cert: cert.tls.cert, ca: cert.tls.ca, generation: cert.generation, expectedSpiffeId: endpoint.identity };
}
