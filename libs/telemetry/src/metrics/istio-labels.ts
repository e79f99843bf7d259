// Istio's standard metric labels, filled the way Istio's stats filter fills them: every label
// is always present, and a value the proxy does not know is the string "unknown".
import type { ObservedConnection, ObservedDestination, ObservedRequest, ObservedWorkload, Reporter } from './observed-request.js';

export const ISTIO_REQUEST_LABELS = [
  'reporter',
  'source_workload',
  'source_workload_namespace',
  'source_principal',
  'source_app',
  'source_version',
  'destination_workload',
  'destination_workload_namespace',
  'destination_principal',
  'destination_app',
  'destination_version',
  'destination_service',
  'destination_service_name',
  'destination_service_namespace',
  'request_protocol',
  'response_code',
  'grpc_response_status',
  'response_flags',
  'connection_security_policy',
] as const;

/** TCP metrics carry the same labels except the response's codes (Istio's tcp metric definitions). */
export const ISTIO_TCP_LABELS = ISTIO_REQUEST_LABELS.filter((l) => l !== 'response_code' && l !== 'grpc_response_status');

export type IstioLabel = (typeof ISTIO_REQUEST_LABELS)[number];
export type IstioLabels = Record<IstioLabel, string>;

export const UNKNOWN = 'unknown';

/**
 * Envoy's default histogram buckets, which Istio's proxies use for every standard histogram
 * (durations in ms, and also the byte-size ones): Istio sets no bucket config of its own since
 * the stats filter moved into Envoy (1.5). Mixer-era Istio (≤ 1.4) used 1, 10, …, 10^7 for sizes.
 */
export const ENVOY_DEFAULT_BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

const known = (value: string | undefined): string => (value === undefined || value === '' ? UNKNOWN : value);

interface ServiceLabels {
  destination_service: string;
  destination_service_name: string;
  destination_service_namespace: string;
}

/** "reviews" in namespace default, or "reviews.default.svc.cluster.local": the three Istio service labels. */
export function serviceLabels(destination: ObservedDestination): ServiceLabels {
  const service = destination.service;
  if (!service) return { destination_service: UNKNOWN, destination_service_name: UNKNOWN, destination_service_namespace: known(destination.namespace) };
  if (destination.serviceNamespace) return { destination_service: service, destination_service_name: service, destination_service_namespace: destination.serviceNamespace };
  const dot = service.indexOf('.');
  if (dot < 0) {
    const namespace = known(destination.namespace);
    return { destination_service: namespace === UNKNOWN ? service : `${service}.${namespace}.svc.cluster.local`, destination_service_name: service, destination_service_namespace: namespace };
  }
  const rest = service.slice(dot + 1);
  const nsEnd = rest.indexOf('.');
  return { destination_service: service, destination_service_name: service.slice(0, dot), destination_service_namespace: nsEnd < 0 ? rest : rest.slice(0, nsEnd) };
}

function peerLabels(reporter: Reporter, source: ObservedWorkload | undefined, destination: ObservedDestination | undefined, securityPolicy: string | undefined) {
  const s = source ?? {};
  const d = destination ?? {};
  return {
    reporter,
    source_workload: known(s.workload),
    source_workload_namespace: known(s.namespace),
    source_principal: known(s.principal),
    source_app: known(s.app),
    source_version: known(s.version),
    destination_workload: known(d.workload),
    destination_workload_namespace: known(d.namespace),
    destination_principal: known(d.principal),
    destination_app: known(d.app),
    destination_version: known(d.version),
    ...serviceLabels(d),
    connection_security_policy: known(securityPolicy),
  };
}

/** One label object per request, shared by the counter and the three histograms. */
export function requestLabels(event: ObservedRequest): IstioLabels {
  return {
    ...peerLabels(event.reporter, event.source, event.destination, event.connectionSecurityPolicy),
    request_protocol: known(event.protocol),
    response_code: String(event.responseCode),
    // Istio's stats filter fills it for gRPC requests and leaves it empty for others.
    grpc_response_status: event.grpcStatus === undefined ? '' : String(event.grpcStatus),
    response_flags: event.responseFlags || '-',
  };
}

export function connectionLabels(reporter: Reporter, connection: ObservedConnection): Omit<IstioLabels, 'response_code' | 'grpc_response_status'> {
  return { ...peerLabels(reporter, connection.source, connection.destination, connection.connectionSecurityPolicy), request_protocol: 'tcp', response_flags: '-' };
}
