// Recent traces in memory, for the dashboard when no collector is configured: the newest
// `maxTraces` traces, each capped at `maxSpansPerTrace` spans, oldest dropped first. Under load it
// keeps a sample: at most `maxNewTracesPerSecond` new traces a second (a trace it passes over is
// passed over whole, whichever proxy's spans come later). Without that cap, 250 requests a second
// replaced all 500 traces every 2 s, and the dashboard, which lists only traces that have had no
// new span for 2 s, showed none.
import type { TraceDetail, TraceSpan, TraceSummary } from './mesh-view.js';

export interface TraceStoreOptions {
  maxTraces?: number;
  maxSpansPerTrace?: number;
  /** Default 20: 500 traces then cover 25 s at least. */
  maxNewTracesPerSecond?: number;
}

export class TraceStore {
  readonly #traces = new Map<string, TraceSpan[]>();
  /** When each trace last got a span: proxies export in batches, so a trace fills in over a second or two. */
  readonly #lastAdded = new Map<string, number>();
  readonly #maxTraces: number;
  readonly #maxSpans: number;
  readonly #maxNewPerSecond: number;
  /** Traces passed over, and until when their late spans are passed over too. */
  readonly #passedOver = new Map<string, number>();
  #second = 0;
  #newThisSecond = 0;
  #version = 0;

  constructor(options: TraceStoreOptions = {}) {
    this.#maxTraces = options.maxTraces ?? 500;
    this.#maxSpans = options.maxSpansPerTrace ?? 200;
    this.#maxNewPerSecond = options.maxNewTracesPerSecond ?? 20;
  }

  /** Whether a span of a trace not in the store may start one now. */
  #admitNew(traceId: string, now: number): boolean {
    const second = Math.floor(now / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#newThisSecond = 0;
      for (const [id, until] of this.#passedOver) if (until < now) this.#passedOver.delete(id);
    }
    const until = this.#passedOver.get(traceId);
    if (until !== undefined && until >= now) return false;
    if (this.#newThisSecond >= this.#maxNewPerSecond) {
      if (this.#passedOver.size < 100_000) this.#passedOver.set(traceId, now + 10_000);
      return false;
    }
    this.#newThisSecond++;
    return true;
  }

  /** Bumped on every change, so watchers can tell whether to publish. */
  get version(): number {
    return this.#version;
  }

  get size(): number {
    return this.#traces.size;
  }

  add(spans: readonly TraceSpan[], now = Date.now()): void {
    for (const span of spans) {
      let list = this.#traces.get(span.traceId);
      if (!list && !this.#admitNew(span.traceId, now)) continue;
      this.#lastAdded.set(span.traceId, now);
      if (!list) {
        list = [];
        this.#traces.set(span.traceId, list);
        if (this.#traces.size > this.#maxTraces) {
          const oldest = this.#traces.keys().next().value;
          if (oldest !== undefined) {
            this.#traces.delete(oldest);
            this.#lastAdded.delete(oldest);
          }
        }
      }
      if (list.length < this.#maxSpans && !list.some((s) => s.spanId === span.spanId)) list.push(span);
    }
    if (spans.length > 0) this.#version++;
  }

  get(traceId: string): TraceDetail | undefined {
    const spans = this.#traces.get(traceId.toLowerCase());
    return spans ? { traceId: traceId.toLowerCase(), spans: treeOrder(spans) } : undefined;
  }

  /**
   * Newest first (by start time). With `settledBefore`, only traces that got no span after that
   * time: under load the newest traces are still missing the spans of slower exporters.
   */
  list(limit = 50, settledBefore = Infinity): TraceSummary[] {
    const out: TraceSummary[] = [];
    for (const [traceId, spans] of this.#traces) {
      if ((this.#lastAdded.get(traceId) ?? 0) <= settledBefore) out.push(summarize(traceId, spans));
    }
    return out.sort((a, b) => b.startTime - a.startTime).slice(0, limit);
  }
}

/**
 * Spans as a timeline shows them (Jaeger's order): each parent before its children, siblings by
 * start time, then span id. Defined by the parent links, not by timing alone: a server span and
 * the client span it starts often share a start time to the millisecond.
 */
export function treeOrder(spans: readonly TraceSpan[]): TraceSpan[] {
  const byStart = (a: TraceSpan, b: TraceSpan) => a.startTime - b.startTime || (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0);
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, TraceSpan[]>();
  const roots: TraceSpan[] = [];
  for (const span of spans) {
    if (span.parentSpanId && ids.has(span.parentSpanId) && span.parentSpanId !== span.spanId) {
      const list = children.get(span.parentSpanId) ?? [];
      list.push(span);
      children.set(span.parentSpanId, list);
    } else roots.push(span);
  }
  const out: TraceSpan[] = [];
  const seen = new Set<string>();
  const visit = (span: TraceSpan) => {
    if (seen.has(span.spanId)) return; // a cycle of parent links (a bad exporter) is cut here
    seen.add(span.spanId);
    out.push(span);
    for (const child of (children.get(span.spanId) ?? []).sort(byStart)) visit(child);
  };
  for (const root of roots.sort(byStart)) visit(root);
  // Spans only reachable through a cycle: after the rest, by start.
  for (const span of [...spans].sort(byStart)) visit(span);
  return out;
}

export function summarize(traceId: string, spans: readonly TraceSpan[]): TraceSummary {
  const ids = new Set(spans.map((s) => s.spanId));
  const byStart = [...spans].sort((a, b) => a.startTime - b.startTime);
  const root = byStart.find((s) => !s.parentSpanId) ?? byStart.find((s) => !s.parentSpanId || !ids.has(s.parentSpanId)) ?? byStart[0];
  const start = byStart[0]?.startTime ?? 0;
  const end = Math.max(...spans.map((s) => s.startTime + s.durationMs), start);
  const services: string[] = [];
  for (const s of byStart) if (!services.includes(s.service)) services.push(s.service);
  return { traceId, rootName: root?.name ?? '', services, startTime: start, durationMs: end - start, spanCount: spans.length, error: spans.some((s) => s.error) };
}
