// A trace's spans as waterfall rows: parent before children, each indented by its depth and
// placed by its start time relative to the trace's start.
import type { TraceSpan } from '@skiff/telemetry';

export interface WaterfallRow {
  span: TraceSpan;
  /** 0 for a root; a child is one deeper than its parent. */
  depth: number;
  /** Milliseconds from the trace's first start to this span's start. */
  offsetMs: number;
  /** Bar position and length, in percent of the trace's duration. */
  leftPct: number;
  widthPct: number;
  /** The span names a parent the trace does not hold (not arrived, or dropped). */
  orphan: boolean;
}

export interface Waterfall {
  /** Epoch milliseconds of the earliest span start. */
  startTime: number;
  /** From the earliest start to the latest end. */
  totalMs: number;
  rows: WaterfallRow[];
}

const byStart = (a: TraceSpan, b: TraceSpan): number => a.startTime - b.startTime || (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0);

/** Orders the spans depth-first, children by start time; spans in any order are fine. */
export function buildWaterfall(spans: readonly TraceSpan[]): Waterfall {
  const byId = new Map<string, TraceSpan>();
  for (const span of spans) if (!byId.has(span.spanId)) byId.set(span.spanId, span);
  const unique = [...byId.values()].sort(byStart);
  if (unique.length === 0) return { startTime: 0, totalMs: 0, rows: [] };

  const children = new Map<string, TraceSpan[]>();
  const roots: TraceSpan[] = [];
  for (const span of unique) {
    const parent = span.parentSpanId;
    if (parent !== undefined && parent !== span.spanId && byId.has(parent)) children.set(parent, [...(children.get(parent) ?? []), span]);
    else roots.push(span);
  }

  const startTime = unique[0]?.startTime ?? 0;
  const endTime = Math.max(...unique.map((s) => s.startTime + Math.max(0, s.durationMs)));
  const totalMs = endTime - startTime;
  const scale = totalMs > 0 ? 100 / totalMs : 0;

  const rows: WaterfallRow[] = [];
  const seen = new Set<string>();
  const visit = (root: TraceSpan): void => {
    // An explicit stack: a long or malformed (cyclic) parent chain must not overflow the call stack.
    const todo: Array<{ span: TraceSpan; depth: number }> = [{ span: root, depth: 0 }];
    while (todo.length > 0) {
      const { span, depth } = todo.pop() as { span: TraceSpan; depth: number };
      if (seen.has(span.spanId)) continue;
      seen.add(span.spanId);
      const offsetMs = span.startTime - startTime;
      rows.push({
        span,
        depth,
        offsetMs,
        leftPct: offsetMs * scale,
        widthPct: Math.max(0, span.durationMs) * scale,
        orphan: depth === 0 && span.parentSpanId !== undefined && span.parentSpanId !== '',
      });
      const kids = children.get(span.spanId) ?? [];
      for (let i = kids.length - 1; i >= 0; i--) todo.push({ span: kids[i] as TraceSpan, depth: depth + 1 });
    }
  };
  for (const root of roots) visit(root);
  // Spans whose parents only point at each other never hang off a root; show them anyway.
  for (const span of unique) if (!seen.has(span.spanId)) visit(span);

  return { startTime, totalMs, rows };
}

/** Round tick marks for the waterfall's time axis: 0 and steps of 1, 2 or 5 × 10^n ms. */
export function axisTicks(totalMs: number, maxTicks = 5): number[] {
  if (!Number.isFinite(totalMs) || totalMs <= 0) return [0];
  const rough = totalMs / Math.max(1, maxTicks - 1);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const ticks: number[] = [];
  for (let t = 0; t <= totalMs + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}
