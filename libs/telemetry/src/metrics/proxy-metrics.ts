// Istio's standard proxy metrics (istio_requests_total, istio_request_duration_milliseconds,
// istio_request_bytes, istio_response_bytes, and the istio_tcp_* series for connections) with
// Istio's names and labels, so Istio's Grafana dashboards and Kiali-style queries work unchanged.
import { Counter, type Registry } from 'prom-client';
import { connectionLabels, ENVOY_DEFAULT_BUCKETS, ISTIO_TCP_LABELS } from './istio-labels.js';
import { RequestSeries } from './request-series.js';
import type { ObservedConnection, ObservedRequest, ObservedTcpConnection, Reporter } from './observed-request.js';

export interface ProxyMetrics {
  /** Records one finished request (called once per request, on the hot path). */
  observe(event: ObservedRequest): void;
  /** Records one accepted or opened connection. */
  onConnection(reporter: Reporter, connection?: ObservedConnection): void;
  /** Records a proxied TCP connection opening, or closing with its bytes each way. */
  observeTcp(event: ObservedTcpConnection): void;
  readonly registry: Registry;
}

export function createProxyMetrics(registry: Registry): ProxyMetrics {
  const requests = new RequestSeries({ registry, buckets: ENVOY_DEFAULT_BUCKETS });
  const connections = new Counter({ name: 'istio_tcp_connections_opened_total', help: 'Connections opened (Istio standard metric).', labelNames: [...ISTIO_TCP_LABELS], registers: [registry] });
  const closed = new Counter({ name: 'istio_tcp_connections_closed_total', help: 'Connections closed (Istio standard metric).', labelNames: [...ISTIO_TCP_LABELS], registers: [registry] });
  const sent = new Counter({ name: 'istio_tcp_sent_bytes_total', help: 'Bytes sent to the downstream peer of a TCP connection (Istio standard metric).', labelNames: [...ISTIO_TCP_LABELS], registers: [registry] });
  const received = new Counter({ name: 'istio_tcp_received_bytes_total', help: 'Bytes received from the downstream peer of a TCP connection (Istio standard metric).', labelNames: [...ISTIO_TCP_LABELS], registers: [registry] });
  return {
    registry,
    observeTcp(event) {
      const labels = { ...connectionLabels(event.reporter, event), response_flags: event.responseFlags || '-' };
      if (event.phase === 'open') return void connections.inc(labels);
      if (event.phase === 'close') closed.inc(labels);
      const newSent = event.newBytesSent ?? event.bytesSent;
      const newReceived = event.newBytesReceived ?? event.bytesReceived;
      if (newSent > 0) sent.inc(labels, newSent);
      if (newReceived > 0) received.inc(labels, newReceived);
    },
    observe(event) {
      requests.observe(event);
    },
    onConnection(reporter, connection = {}) {
      connections.inc(connectionLabels(reporter, connection));
    },
  };
}
