// Trace context in and out of a hop, in the three formats Istio's proxies speak: W3C
// `traceparent`/`tracestate`, Zipkin's B3 (multi-header out; single `b3` or multi in) and
// Jaeger's `uber-trace-id`. OpenTelemetry's own propagators do the parsing; this file only
// picks them and adapts them to node's header maps.
import type { Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import { CompositePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import { JaegerPropagator } from '@opentelemetry/propagator-jaeger';

export type HeaderRecord = Record<string, string | string[] | undefined>;

/** The headers a hop rewrites: whatever came in is replaced by this hop's context. */
export const TRACE_CONTEXT_HEADERS: readonly string[] = ['traceparent', 'tracestate', 'b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags', 'uber-trace-id'];

/**
 * Extraction runs in this order and a later format that is present wins, so W3C (last) is
 * preferred when an app sends several that disagree; all three are written.
 */
export function meshPropagator(): TextMapPropagator {
  return new CompositePropagator({
    propagators: [new JaegerPropagator(), new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }), new W3CTraceContextPropagator()],
  });
}

export const headerGetter: TextMapGetter<HeaderRecord> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key.toLowerCase()],
};

export const headerSetter: TextMapSetter<HeaderRecord> = {
  set: (carrier, key, value) => {
    carrier[key.toLowerCase()] = value;
  },
};

/** Replaces the trace headers in `headers` with `context`'s span. */
export function rewriteTraceHeaders(propagator: TextMapPropagator, context: Context, headers: HeaderRecord): void {
  for (const name of TRACE_CONTEXT_HEADERS) delete headers[name];
  propagator.inject(context, headers, headerSetter);
}
