// Istio's standard proxy metrics (istio_requests_total, istio_request_duration_milliseconds,
// istio_request_bytes, istio_response_bytes, istio_tcp_connections_opened_total) with Istio's
// names and labels, so Istio's Grafana dashboards and Kiali-style queries work unchanged.
import { Counter, type Registry } from 'prom-client';
import { connectionLabels, ENVOY_DEFAULT_BUCKETS, ISTIO_TCP_LABELS } from './istio-labels.js';
import { RequestSeries } from './request-series.js';
import type { ObservedConnection, ObservedRequest, Reporter } from './observed-request.js';

export interface ProxyMetrics {
  /** Records one finished request (called once per request, on the hot path). */
  observe(event: ObservedRequest): void;
  /** Records one accepted or opened connection. */
  onConnection(reporter: Reporter, connection?: ObservedConnection): void;
  readonly registry: Registry;
}

export function createProxyMetrics(registry: Registry): ProxyMetrics {
  const requests = new RequestSeries({ registry, buckets: ENVOY_DEFAULT_BUCKETS });
  const connections = new Counter({ name: 'istio_tcp_connections_opened_total', help: 'Connections opened (Istio standard metric).', labelNames: [...ISTIO_TCP_LABELS], registers: [registry] });
  return {
    registry,
    observe(event) {
      requests.observe(event);
    },
    onConnection(reporter, connection = {}) {
      connections.inc(connectionLabels(reporter, connection));
    },
  };
}
