// @skiff/configgen: validated Istio resources + the workload registry -> one proxy's snapshot,
// the way istiod translates config to Envoy xDS. Pure: no I/O, no clocks.
export { buildSnapshot, type BuildSnapshotInput } from './build-snapshot.js';
export { prepare, type PreparedConfig, type PrepareOptions, type SnapshotResult } from './prepare.js';
export { workloadIdentity } from './security.js';
export { DEFAULT_MTLS_MODE } from './peer-authentication.js';
export { buildServiceRegistry, type ServiceInfo } from './services.js';
export { parseDurationMs } from './duration.js';
export { resolveHost, sidecarDomains, intersectHosts, parseServerHost } from './hosts.js';
export { DEFAULT_RETRY_ON, DEFAULT_RETRIABLE_STATUS_CODES, DEFAULT_RETRY_ATTEMPTS } from './retries.js';
