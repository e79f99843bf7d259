// Envoy-style access log: one JSON line per request with the fields of Istio's JSON access log
// (meshConfig.accessLogEncoding: JSON), plus who called whom. Off by default, as in Istio:
// `--access-log stdout` (or SKIFF_ACCESS_LOG=stdout|1) turns it on.
import type { Logger } from 'pino';
import type { ObservedRequest, ObservedTcpConnection } from './metrics/observed-request.js';

export type AccessLogMode = 'stdout' | 'off';

export interface AccessLogRecord {
  start_time: string;
  method: string;
  path: string;
  protocol: string;
  response_code: number;
  response_flags: string;
  bytes_received: number;
  bytes_sent: number;
  duration: number;
  upstream_service_time: number | null;
  x_forwarded_for: string | null;
  user_agent: string | null;
  request_id: string | null;
  authority: string | null;
  upstream_host: string | null;
  upstream_cluster: string | null;
  route_name: string | null;
  reporter: string;
  source_workload: string | null;
  source_namespace: string | null;
  source_principal: string | null;
  destination_workload: string | null;
  destination_namespace: string | null;
  destination_service: string | null;
  connection_security_policy: string;
}

// Envoy's JSON formatter writes null where its text format writes "-".
const orNull = (value: string | undefined): string | null => (value === undefined || value === '' ? null : value);

/** Envoy's %PROTOCOL% names the HTTP version, not the family. */
const protocolName = (event: ObservedRequest): string => event.httpVersion ?? (event.protocol === 'http' ? 'HTTP/1.1' : event.protocol);

export function accessLogRecord(event: ObservedRequest): AccessLogRecord {
  return {
    start_time: new Date(event.startTime).toISOString(),
    method: event.method,
    path: event.path,
    protocol: protocolName(event),
    response_code: event.responseCode,
    response_flags: event.responseFlags || '-',
    bytes_received: event.requestBytes,
    bytes_sent: event.responseBytes,
    duration: Math.round(event.durationMs),
    upstream_service_time: event.upstreamServiceTimeMs === undefined ? null : Math.round(event.upstreamServiceTimeMs),
    x_forwarded_for: orNull(event.xForwardedFor),
    user_agent: orNull(event.userAgent),
    request_id: orNull(event.requestId),
    authority: orNull(event.authority),
    upstream_host: orNull(event.upstreamHost),
    upstream_cluster: orNull(event.upstreamCluster),
    route_name: orNull(event.route),
    reporter: event.reporter,
    source_workload: orNull(event.source.workload),
    source_namespace: orNull(event.source.namespace),
    source_principal: orNull(event.source.principal),
    destination_workload: orNull(event.destination.workload),
    destination_namespace: orNull(event.destination.namespace),
    destination_service: orNull(event.destination.service),
    connection_security_policy: event.connectionSecurityPolicy,
  };
}

/** A closed TCP connection as Envoy's tcp_proxy logs it: no method, path or status. */
export function tcpAccessLogRecord(event: ObservedTcpConnection): AccessLogRecord {
  return {
    start_time: new Date(event.startTime).toISOString(),
    method: '-',
    path: '-',
    protocol: 'TCP',
    response_code: 0,
    response_flags: event.responseFlags || '-',
    bytes_received: event.bytesReceived,
    bytes_sent: event.bytesSent,
    duration: Math.round(event.durationMs),
    upstream_service_time: null,
    x_forwarded_for: null,
    user_agent: null,
    request_id: null,
    authority: orNull(event.authority),
    upstream_host: orNull(event.upstreamHost),
    upstream_cluster: orNull(event.upstreamCluster),
    route_name: orNull(event.route),
    reporter: event.reporter,
    source_workload: orNull(event.source?.workload),
    source_namespace: orNull(event.source?.namespace),
    source_principal: orNull(event.source?.principal),
    destination_workload: orNull(event.destination?.workload),
    destination_namespace: orNull(event.destination?.namespace),
    destination_service: orNull(event.destination?.service),
    connection_security_policy: event.connectionSecurityPolicy ?? 'unknown',
  };
}

export interface AccessLoggerOptions {
  /** Share of requests logged, 0..1 (default 1: every request). */
  sampleRate?: number;
  random?: () => number;
}

/** Returns an observer that writes one access-log line per (sampled) request through pino. */
export function createAccessLogger(logger: Logger, options: AccessLoggerOptions = {}): (event: ObservedRequest) => void {
  const rate = options.sampleRate ?? 1;
  if (!(rate >= 0 && rate <= 1)) throw new Error(`access log sample rate must be between 0 and 1, got ${rate}`);
  const random = options.random ?? Math.random;
  const log = logger.child({ log: 'access' });
  return (event) => {
    if (rate < 1 && random() >= rate) return;
    log.info(accessLogRecord(event));
  };
}

/** Parses --access-log / SKIFF_ACCESS_LOG: stdout|on|1|true turn it on; off|0|false|'' (and unset) leave it off. */
export function parseAccessLogMode(value: string | undefined): AccessLogMode {
  const v = (value ?? '').trim().toLowerCase();
  if (v === 'stdout' || v === 'on' || v === '1' || v === 'true') return 'stdout';
  if (v === '' || v === 'off' || v === '0' || v === 'false') return 'off';
  throw new Error(`--access-log must be "stdout" or "off" (SKIFF_ACCESS_LOG also takes 1/0), got "${value}"`);
}
