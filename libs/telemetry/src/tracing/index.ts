// The OpenTelemetry SDK, exporter and propagators load only when a proxy traces (loadProxyTracing):
// with tracing off they would cost a sidecar ~15 MiB of memory for nothing.
export type { HopKind, HopSpan, HopTracer, HopTracerOptions } from './hop-tracer.js';
export type { ProxyTracing, ProxyTracingOptions } from './proxy-tracing.js';
export type { HeaderRecord } from './propagation.js';
export * from './tracing-flags.js';

export function loadProxyTracing(): Promise<typeof import('./proxy-tracing.js')> {
  return import('./proxy-tracing.js');
}
