// The shape of one finished request as telemetry needs it. Defined here, not imported from the
// data plane, so telemetry stays a leaf library: the data plane's RequestEvent satisfies it
// structurally, and tests can build one by hand.

export interface ObservedWorkload {
  workload?: string;
  namespace?: string;
  /** SPIFFE ID, when the connection was mutual TLS. */
  principal?: string;
  app?: string;
  version?: string;
}

export interface ObservedDestination extends ObservedWorkload {
  /** Service host: a short name ("reviews") or the FQDN ("reviews.default.svc.cluster.local"). */
  service?: string;
  /** Set for a ServiceEntry's host: the entry's namespace; the host is then the service's whole name. */
  serviceNamespace?: string;
}

export type Reporter = 'source' | 'destination';

export interface ObservedRequest {
  /** Istio's reporter: the client side (outbound, gateway) or the server side (inbound). */
  reporter: Reporter;
  /** Epoch milliseconds when the request arrived. */
  startTime: number;
  durationMs: number;
  method: string;
  path: string;
  authority: string;
  /** Istio's request_protocol: "http", or "grpc" for a gRPC request. */
  protocol: string;
  /** The HTTP version the client spoke ("HTTP/1.1", "HTTP/2"): Envoy's %PROTOCOL%. */
  httpVersion?: string;
  /** A gRPC request's status (from the answer's head or trailers); undefined otherwise. */
  grpcStatus?: number;
  /** gRPC messages each way (Istio's istio_request_messages_total / istio_response_messages_total). */
  requestMessages?: number;
  responseMessages?: number;
  requestId: string;
  userAgent?: string;
  /** 0 when no response was sent (the client went away first). */
  responseCode: number;
  /** Envoy response flags, "-" when none (UH, UF, UO, UT, NR, URX, FI, DI, DC, RBAC…). */
  responseFlags: string;
  requestBytes: number;
  responseBytes: number;
  route?: string;
  upstreamCluster?: string;
  upstreamHost?: string;
  /** Time the upstream took to answer (Envoy's x-envoy-upstream-service-time), when known. */
  upstreamServiceTimeMs?: number;
  xForwardedFor?: string;
  source: ObservedWorkload;
  destination: ObservedDestination;
  connectionSecurityPolicy: string;
}

/** A connection a listener accepted: who is known at that point (before any request). */
export interface ObservedConnection {
  source?: ObservedWorkload;
  destination?: ObservedDestination;
  connectionSecurityPolicy?: string;
}

/**
 * A proxied TCP connection (a tcp_proxy in Envoy's terms), reported when it opens, every few
 * seconds while its bytes move (Istio's tcp_reporting_duration), and when it closes; the byte
 * counts are from this proxy's point of view toward the downstream peer.
 */
export interface ObservedTcpConnection extends ObservedConnection {
  reporter: Reporter;
  phase: 'open' | 'progress' | 'close';
  startTime: number;
  /** 0 while open. */
  durationMs: number;
  /** From the downstream peer (Istio's istio_tcp_received_bytes_total). */
  bytesReceived: number;
  /** To the downstream peer (istio_tcp_sent_bytes_total). */
  bytesSent: number;
  /** progress and close: the bytes since the previous report (the counters add these; without them, the totals). */
  newBytesReceived?: number;
  newBytesSent?: number;
  /** Envoy response flags ("-" when none): UF, UH, NR, UO, DC, UC, SI, RBAC. */
  responseFlags: string;
  route?: string;
  upstreamCluster?: string;
  upstreamHost?: string;
  /** What the peer asked for, when it named it (a CONNECT authority). */
  authority?: string;
}
