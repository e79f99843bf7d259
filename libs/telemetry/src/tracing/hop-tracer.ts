// A span for every request a proxy handles, as Envoy makes one per hop: the sidecar's inbound
// side is a SERVER span, its outbound side a CLIENT span, the gateway a SERVER span. The span
// joins the trace the caller propagated and the request leaves with this span as its parent,
// so the app behind (which copies the headers, as Istio asks apps to) continues the trace.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { TextMapPropagator } from '@opentelemetry/api';
import type { ObservedRequest } from '../metrics/observed-request.js';
import { headerGetter, rewriteTraceHeaders, type HeaderRecord } from './propagation.js';

export type HopKind = 'client' | 'server';

export interface HopSpan {
  /** Ends the span with what the request turned out to be. */
  end(event: ObservedRequest): void;
}

export interface HopTracer {
  /** Starts this hop's span under the context in `headers`, and rewrites them to carry it. */
  start(kind: HopKind, headers: HeaderRecord): HopSpan;
}

export interface HopTracerOptions {
  tracer: Tracer;
  propagator: TextMapPropagator;
  /** The proxy's id ("reviews-v1.default"): Istio's `node_id` tag. */
  nodeId: string;
}

export function createHopTracer(options: HopTracerOptions): HopTracer {
  const { tracer, propagator, nodeId } = options;
  return {
    start(kind, headers) {
      const parent = propagator.extract(ROOT_CONTEXT, headers, headerGetter);
      const span = tracer.startSpan('request', { kind: kind === 'server' ? SpanKind.SERVER : SpanKind.CLIENT }, parent);
      rewriteTraceHeaders(propagator, trace.setSpan(parent, span), headers);
      return {
        end(event) {
          if (!span.isRecording()) return span.end();
          const query = event.path.indexOf('?');
          // Envoy names a span after the host and path it served.
          span.updateName(`${event.authority}${query < 0 ? event.path : event.path.slice(0, query)}`);
          span.setAttributes({
            component: 'proxy',
            node_id: nodeId,
            'http.method': event.method,
            'http.url': `http://${event.authority}${event.path}`,
            'http.status_code': event.responseCode,
            'http.protocol': 'HTTP/1.1',
            response_flags: event.responseFlags,
            request_size: event.requestBytes,
            response_size: event.responseBytes,
            'guid:x-request-id': event.requestId,
            ...(event.userAgent ? { user_agent: event.userAgent } : {}),
            ...(event.upstreamCluster ? { upstream_cluster: event.upstreamCluster } : {}),
            ...(event.upstreamHost ? { 'upstream.address': event.upstreamHost } : {}),
            ...(event.destination.workload ? { 'istio.destination_workload': event.destination.workload } : {}),
            ...(event.destination.version ? { 'istio.destination_version': event.destination.version } : {}),
            ...(event.source.workload ? { 'istio.source_workload': event.source.workload } : {}),
            'istio.mtls': event.connectionSecurityPolicy === 'mutual_tls',
          });
          if (event.responseCode === 0 || event.responseCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: event.responseFlags });
          span.end();
        },
      };
    },
  };
}
