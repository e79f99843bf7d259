// A span per request, joined to the caller's trace: the sidecar's outbound side is a client
// span, inbound and the gateway are server spans. The span ends with the request's event.
import type { HopKind, HopTracer } from '@skiff/telemetry';
import type { HttpFilter } from '../http-filter.js';

export function tracingFilter(tracer: HopTracer | undefined, kind: HopKind): HttpFilter | undefined {
  if (!tracer) return undefined;
  return {
    name: 'tracing',
    decodeHeaders(x) {
      x.span = tracer.start(kind, x.headers);
      return undefined;
    },
  };
}
