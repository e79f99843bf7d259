// Istio's request metrics (four for every request, two more counting gRPC messages), counted in plain arrays on the hot path and rendered into
// prom-client's registry only when scraped. prom-client's Counter.inc() and Histogram.observe()
// validate and hash the label object on every call (with 18 labels and 4 metrics per request,
// ~10% of a busy sidecar's CPU); a proxy sees the same few label sets over and over, so it keys
// them once per distinct set instead. The exposition format stays prom-client's own.
import type { Registry } from 'prom-client';
import { requestLabels, UNKNOWN, type IstioLabels } from './istio-labels.js';
import type { ObservedRequest } from './observed-request.js';

/** Observations per bucket (not cumulative: each in the first bucket whose bound holds it). */
class Distribution {
  readonly perBucket: Float64Array;
  sum = 0;
  count = 0;

  constructor(buckets: number) {
    this.perBucket = new Float64Array(buckets);
  }

  observe(value: number, bounds: readonly number[]): void {
    this.sum += value;
    this.count++;
    // 19 bounds: a scan beats a search, and most values fall in the first few.
    for (let i = 0; i < bounds.length; i++) {
      if (value <= (bounds[i] as number)) {
        (this.perBucket[i] as number)++;
        return;
      }
    }
  }
}

interface Series {
  labels: IstioLabels;
  requests: number;
  /** gRPC messages each way (stays 0 for HTTP series, which are not rendered in those counters). */
  requestMessages: number;
  responseMessages: number;
  grpc: boolean;
  duration: Distribution;
  requestBytes: Distribution;
  responseBytes: Distribution;
}

type Sample = { value: number; labels: Record<string, string | number>; metricName?: string };

/** A metric prom-client's registry renders: anything with name, help, type and get() (registerMetric). */
interface RenderedMetric {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; aggregator: 'sum'; values: Sample[] }>;
}

export interface RequestSeriesOptions {
  registry: Registry;
  buckets: readonly number[];
  /** Distinct label sets kept; past it the oldest set is dropped (a bound on memory, as a cardinality limit). */
  maxSeries?: number;
}

export class RequestSeries {
  readonly #series = new Map<string, Series>();
  readonly #bounds: readonly number[];
  readonly #maxSeries: number;

  constructor(options: RequestSeriesOptions) {
    this.#bounds = [...options.buckets].sort((a, b) => a - b);
    this.#maxSeries = options.maxSeries ?? 10_000;
    const series = () => this.#series.values();
    const bounds = this.#bounds;
    const counter = (name: string, help: string, pick: (s: Series) => number | undefined = (s) => s.requests): RenderedMetric => ({
      name,
      help,
      type: 'counter',
      aggregator: 'sum',
      async get() {
        const values: Sample[] = [];
        for (const s of series()) {
          const value = pick(s);
          if (value !== undefined) values.push({ value, labels: s.labels });
        }
        return { name, help, type: 'counter', aggregator: 'sum', values };
      },
    });
    const histogram = (name: string, help: string, pick: (s: Series) => Distribution): RenderedMetric => ({
      name,
      help,
      type: 'histogram',
      aggregator: 'sum',
      async get() {
        const values: Sample[] = [];
        for (const s of series()) {
          const d = pick(s);
          let cumulative = 0;
          for (let i = 0; i < bounds.length; i++) {
            cumulative += d.perBucket[i] as number;
            values.push({ value: cumulative, labels: { le: bounds[i] as number, ...s.labels }, metricName: `${name}_bucket` });
          }
          values.push({ value: d.count, labels: { le: '+Inf', ...s.labels }, metricName: `${name}_bucket` });
          values.push({ value: d.sum, labels: s.labels, metricName: `${name}_sum` });
          values.push({ value: d.count, labels: s.labels, metricName: `${name}_count` });
        }
        return { name, help, type: 'histogram', aggregator: 'sum', values };
      },
    });
    const metrics = [
      counter('istio_requests_total', 'Requests handled by this proxy (Istio standard metric).'),
      histogram('istio_request_duration_milliseconds', 'Duration of requests in milliseconds (Istio standard metric).', (s) => s.duration),
      histogram('istio_request_bytes', 'HTTP request body sizes in bytes (Istio standard metric).', (s) => s.requestBytes),
      histogram('istio_response_bytes', 'HTTP response body sizes in bytes (Istio standard metric).', (s) => s.responseBytes),
      counter('istio_request_messages_total', 'gRPC messages sent by clients (Istio standard metric).', (s) => (s.grpc ? s.requestMessages : undefined)),
      counter('istio_response_messages_total', 'gRPC messages sent by servers (Istio standard metric).', (s) => (s.grpc ? s.responseMessages : undefined)),
    ];
    // registerMetric takes any object of this shape; its type names prom-client's own classes.
    for (const metric of metrics) options.registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** Counts one finished request in every request metric. */
  observe(event: ObservedRequest): void {
    const key = seriesKey(event);
    let s = this.#series.get(key);
    if (!s) {
      if (this.#series.size >= this.#maxSeries) {
        const oldest = this.#series.keys().next().value;
        if (oldest !== undefined) this.#series.delete(oldest);
      }
      const n = this.#bounds.length;
      s = { labels: requestLabels(event), requests: 0, requestMessages: 0, responseMessages: 0, grpc: event.protocol === 'grpc', duration: new Distribution(n), requestBytes: new Distribution(n), responseBytes: new Distribution(n) };
      this.#series.set(key, s);
    }
    s.requests++;
    if (event.requestMessages) s.requestMessages += event.requestMessages;
    if (event.responseMessages) s.responseMessages += event.responseMessages;
    s.duration.observe(event.durationMs, this.#bounds);
    s.requestBytes.observe(event.requestBytes, this.#bounds);
    s.responseBytes.observe(event.responseBytes, this.#bounds);
  }

  get size(): number {
    return this.#series.size;
  }
}

/** Everything requestLabels() reads, as it reads it: equal keys exactly when equal label sets. */
function seriesKey(e: ObservedRequest): string {
  const s = e.source;
  const d = e.destination;
  return `${e.reporter}\u0001${k(s.workload)}\u0001${k(s.namespace)}\u0001${k(s.principal)}\u0001${k(s.app)}\u0001${k(s.version)}\u0001${k(d.workload)}\u0001${k(d.namespace)}\u0001${k(d.principal)}\u0001${k(d.app)}\u0001${k(d.version)}\u0001${k(d.service)}\u0001${k(e.protocol)}\u0001${e.responseCode}\u0001${e.grpcStatus ?? ''}\u0001${e.responseFlags || '-'}\u0001${k(e.connectionSecurityPolicy)}`;
}

const k = (value: string | undefined): string => (value === undefined || value === '' ? UNKNOWN : value);
