// Istio's standard proxy metrics (istio_requests_total, istio_request_duration_milliseconds,
// istio_request_bytes, istio_response_bytes, istio_tcp_connections_opened_total) with Istio's
// names and labels, so Istio's Grafana dashboards and Kiali-style queries work unchanged.
import { Counter, Histogram, type Registry } from 'prom-client';
import { connectionLabels, ENVOY_DEFAULT_BUCKETS, ISTIO_REQUEST_LABELS, ISTIO_TCP_LABELS, requestLabels } from './istio-labels.js';
import type { ObservedConnection, ObservedRequest, Reporter } from './observed-request.js';

export interface ProxyMetrics {
  /** Records one finished request (called once per request, on the hot path). */
  observe(event: ObservedRequest): void;
  /** Records one accepted or opened connection. */
  onConnection(reporter: Reporter, connection?: ObservedConnection): void;
  readonly registry: Registry;
}

export function createProxyMetrics(registry: Registry): ProxyMetrics {
  const labelNames = [...ISTIO_REQUEST_LABELS];
  const requests = new Counter({ name: 'istio_requests_total', help: 'Requests handled by this proxy (Istio standard metric).', labelNames, registers: [registry] });
  const duration = new Histogram({ name: 'istio_request_duration_milliseconds', help: 'Duration of requests in milliseconds (Istio standard metric).', labelNames, buckets: ENVOY_DEFAULT_BUCKETS, registers: [registry] });
  const requestBytes = new Histogram({ name: 'istio_request_bytes', help: 'HTTP request body sizes in bytes (Istio standard metric).', labelNames, buckets: ENVOY_DEFAULT_BUCKETS, registers: [registry] });
  const responseBytes = new Histogram({ name: 'istio_response_bytes', help: 'HTTP response body sizes in bytes (Istio standard metric).', labelNames, buckets: ENVOY_DEFAULT_BUCKETS, registers: [registry] });
  const connections = new Counter({ name: 'istio_tcp_connections_opened_total', help: 'Connections opened (Istio standard metric).', labelNames: [...ISTIO_TCP_LABELS], registers: [registry] });
  // The children of each label set, by the set's values: prom-client validates and hashes a
  // label object on every call, and a proxy sees the same few label sets over and over (the
  // profile of a busy sidecar had that at ~9% of its CPU). Bounded: cleared past MAX_CACHED.
  type Children = { requests: ReturnType<typeof requests.labels>; duration: ReturnType<typeof duration.labels>; requestBytes: ReturnType<typeof duration.labels>; responseBytes: ReturnType<typeof duration.labels> };
  const children = new Map<string, Children>();
  const MAX_CACHED = 10_000;
  return {
    registry,
    observe(event) {
      const labels = requestLabels(event);
      let key = '';
      for (const name of labelNames) key += labels[name] + '\u0001';
      let child = children.get(key);
      if (!child) {
        if (children.size >= MAX_CACHED) children.clear();
        child = { requests: requests.labels(labels), duration: duration.labels(labels), requestBytes: requestBytes.labels(labels), responseBytes: responseBytes.labels(labels) };
        children.set(key, child);
      }
      child.requests.inc();
      child.duration.observe(event.durationMs);
      child.requestBytes.observe(event.requestBytes);
      child.responseBytes.observe(event.responseBytes);
    },
    onConnection(reporter, connection = {}) {
      connections.inc(connectionLabels(reporter, connection));
    },
  };
}
