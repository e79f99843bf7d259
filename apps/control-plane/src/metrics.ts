// The control plane's own Prometheus metrics, under istiod's names so Istio's "Control Plane"
// dashboard reads them: connected proxies, pushes, push->ACK convergence, rejected configs
// (NACKs), CA signing and config validation failures. Served at /metrics on the monitoring port.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the discovery server reports as it pushes and hears back. */
export interface DiscoveryMetrics {
  /** One snapshot push (it carries clusters, endpoints, listeners and routes at once). */
  pushed(): void;
  /** The proxy ACKed a push after this many seconds. */
  acked(seconds: number): void;
  /** The proxy NACKed a push. */
  rejected(): void;
  /** A snapshot could not be computed for a proxy. */
  internalError(): void;
  /** A discovery stream was refused (no or wrong certificate, an announcement beyond its identity). */
  refused(reason: 'unauthenticated' | 'identity' | 'address' | 'invalid'): void;
}

export interface ControlPlaneMetrics {
  registry: Registry;
  discovery: DiscoveryMetrics;
  /** A CSR arrived at the CA. */
  csrReceived(): void;
  /** The CA signed a certificate. */
  certificateIssued(): void;
  /** Config files (or resources) rejected by validation. */
  validationFailed(count?: number): void;
}

/** A Skiff snapshot is one state-of-the-world push of every xDS type istiod would send. */
const PUSH_TYPES = ['cds', 'eds', 'lds', 'rds'] as const;

export function createControlPlaneMetrics(connectedProxies: () => Iterable<{ kind: string }>): ControlPlaneMetrics {
  const registry = new Registry();
  const registers = [registry];
  new Gauge({
    name: 'pilot_xds',
    help: 'Number of proxies connected to this control plane over the discovery stream, by kind (sidecar, gateway).',
    labelNames: ['kind'],
    registers,
    collect() {
      // Computed at scrape time from the live connections, so it can never drift.
      this.reset();
      const counts = new Map<string, number>([['sidecar', 0], ['gateway', 0]]);
      for (const p of connectedProxies()) counts.set(p.kind, (counts.get(p.kind) ?? 0) + 1);
      for (const [kind, n] of counts) this.set({ kind }, n);
    },
  });
  const pushes = new Counter({ name: 'pilot_xds_pushes', help: 'Pushes to proxies, by xDS type (one snapshot push counts once for each type it carries).', labelNames: ['type'], registers });
  const convergence = new Histogram({ name: 'pilot_proxy_convergence_time', help: 'Seconds from a push to the proxy\'s ACK.', buckets: [0.1, 0.5, 1, 3, 5, 10, 20, 30], registers });
  const rejects = new Counter({ name: 'pilot_total_xds_rejects', help: 'Pushes a proxy rejected (NACK).', registers });
  const refusals = new Counter({ name: 'skiff_xds_refused_streams', help: 'Discovery streams refused, by reason: unauthenticated (no workload certificate), identity (the node announces more than its certificate proves), address (not where its connection comes from), invalid (a malformed node).', labelNames: ['reason'], registers });
  for (const reason of ['unauthenticated', 'identity', 'address', 'invalid']) refusals.inc({ reason }, 0);
  const internalErrors = new Counter({ name: 'pilot_total_xds_internal_errors', help: 'Snapshots the control plane failed to compute.', registers });
  const csrs = new Counter({ name: 'citadel_server_csr_count', help: 'Certificate signing requests received by the CA.', registers });
  const issued = new Counter({ name: 'citadel_server_success_cert_issuance_count', help: 'Certificates the CA issued.', registers });
  const validation = new Counter({ name: 'galley_validation_failed', help: 'Config files rejected by validation (the last good version stays in force).', registers });
  for (const type of PUSH_TYPES) pushes.inc({ type }, 0);
  return {
    registry,
    discovery: {
      pushed: () => {
        for (const type of PUSH_TYPES) pushes.inc({ type });
      },
      acked: (seconds) => convergence.observe(seconds),
      rejected: () => rejects.inc(),
      internalError: () => internalErrors.inc(),
      refused: (reason) => refusals.inc({ reason }),
    },
    csrReceived: () => csrs.inc(),
    certificateIssued: () => issued.inc(),
    validationFailed: (count = 1) => {
      if (count > 0) validation.inc(count);
    },
  };
}
