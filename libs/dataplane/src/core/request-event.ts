// What one proxied request was, reported once when it ends: the input for Istio-style metrics,
// Envoy-style access logs and traces. Filled in step by step by the pipeline, emitted on close.
export interface RequestEvent {
  /** Istio's reporter label: the client side (outbound, gateway) or the server side (inbound). */
  reporter: 'source' | 'destination';
  startTime: number;
  durationMs: number;
  method: string;
  path: string;
  authority: string;
  /** Istio's request_protocol. */
  protocol: 'http' | 'grpc';
  /** What the client spoke (Envoy's %PROTOCOL%). */
  httpVersion: 'HTTP/1.1' | 'HTTP/2';
  grpcStatus?: number;
  requestMessages?: number;
  responseMessages?: number;
  requestId: string;
  userAgent?: string;
  responseCode: number;
  /** Envoy response flags ("-" when none): UF, UH, UO, UT, NR, FI, DI, DC, RBAC, UAEX, URX… */
  responseFlags: string;
  requestBytes: number;
  responseBytes: number;
  route?: string;
  upstreamCluster?: string;
  upstreamHost?: string;
  /** From sending upstream to the response headers (Envoy's x-envoy-upstream-service-time). */
  upstreamServiceTimeMs?: number;
  /** The caller's x-forwarded-for, for the access log. */
  xForwardedFor?: string;
  source: { workload: string; namespace: string; principal?: string; app?: string; version?: string };
  destination: { workload?: string; namespace?: string; service?: string; serviceNamespace?: string; principal?: string; app?: string; version?: string };
  connectionSecurityPolicy: 'mutual_tls' | 'none';
  /** Trace context as it left the proxy (for spans). */
  traceHeaders: Record<string, string>;
}

export type RequestObserver = (event: RequestEvent) => void;

const TRACE_HEADERS = ['traceparent', 'tracestate', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'b3', 'uber-trace-id'];

export function traceHeadersOf(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of TRACE_HEADERS) {
    const v = headers[name];
    if (typeof v === 'string') out[name] = v;
  }
  return out;
}

/** The destination service labels a cluster gives: its host, and a ServiceEntry's namespace when it is one. */
export function destinationService(cluster: { service: string; serviceNamespace?: string | undefined }): { service: string; serviceNamespace?: string } {
  return cluster.serviceNamespace ? { service: cluster.service, serviceNamespace: cluster.serviceNamespace } : { service: cluster.service };
}
