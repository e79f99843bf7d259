// The OpenTelemetry SDK as a proxy uses it: one tracer provider per process, batching spans to
// an OTLP/HTTP endpoint (a collector, Jaeger, or the control plane's built-in trace store).
// The provider is not registered globally: several proxies may share a process in tests.
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createHopTracer, type HopTracer } from './hop-tracer.js';
import { meshPropagator } from './propagation.js';

export interface ProxyTracingOptions {
  /** Istio's service name for a proxy's spans: "<app>.<namespace>". */
  serviceName: string;
  nodeId: string;
  /** OTLP/HTTP traces URL, e.g. http://127.0.0.1:15014/v1/traces. */
  endpoint?: string;
  /** Instead of an endpoint (tests). */
  exporter?: SpanExporter;
  /** Headers for each export, read at export time (a token file may be replaced). */
  headers?: () => Promise<Record<string, string>>;
  /** Share of new traces sampled, 0-100 (Istio's `sampling`); a caller's decision is kept. */
  samplingPercent: number;
  /** How often batched spans are sent (default 1000 ms). */
  exportDelayMs?: number;
  attributes?: Record<string, string>;
}

export interface ProxyTracing {
  tracer: HopTracer;
  /** Sends what is batched. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export function createProxyTracing(options: ProxyTracingOptions): ProxyTracing {
  const exporter = options.exporter ?? new OTLPTraceExporter({ url: options.endpoint, ...(options.headers ? { headers: options.headers } : {}) });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName, 'service.instance.id': options.nodeId, ...options.attributes }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(Math.min(100, Math.max(0, options.samplingPercent)) / 100) }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: options.exportDelayMs ?? 1000, maxQueueSize: 4096, maxExportBatchSize: 512 })],
  });
  return {
    tracer: createHopTracer({ tracer: provider.getTracer('skiff-proxy'), propagator: meshPropagator(), nodeId: options.nodeId }),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
