// Text the dashboard shows for numbers, times and graph parts. Pure: the current time is an
// argument, so the browser and the tests get the same answers.
import type { GraphEdge, GraphNode, ScenarioView } from '@skiff/telemetry';

/** Drops a trailing ".0" so "12.0" reads "12" but "12.5" stays. */
function trim(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/** "12.3 rps"; two decimals under 1 rps so a trickle does not read as "0 rps". */
export function formatRps(rps: number): string {
  if (!Number.isFinite(rps) || rps <= 0) return '0 rps';
  if (rps < 1) return `${trim(rps.toFixed(2))} rps`;
  if (rps < 100) return `${trim(rps.toFixed(1))} rps`;
  return `${Math.round(rps)} rps`;
}

/** A 0..1 share as "90%"; one decimal under 10% so a 1.5% error rate is not rounded away. */
export function formatPercent(share: number): string {
  if (!Number.isFinite(share) || share <= 0) return '0%';
  const pct = share * 100;
  // Some errors must not read as none.
  if (pct < 0.05) return '<0.1%';
  if (pct < 10) return `${trim(pct.toFixed(1))}%`;
  return `${Math.round(pct)}%`;
}

/** A duration: "0.42 ms", "3.2 ms", "14 ms", "1.25 s", "2m 05s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms === 0) return '0 ms';
  if (ms < 1) return `${trim(ms.toFixed(2))} ms`;
  if (ms < 10) return `${trim(ms.toFixed(1))} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${trim((ms / 1000).toFixed(2))} s`;
  if (ms < 60_000) return `${trim((ms / 1000).toFixed(1))} s`;
  const totalSeconds = Math.round(ms / 1000);
  return `${Math.floor(totalSeconds / 60)}m ${String(totalSeconds % 60).padStart(2, '0')}s`;
}

/** Whole units of a span of time, largest two: "2d 3h", "23h 59m", "4m 10s", "12s". */
function span(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/**
 * When a certificate runs out, relative to `nowMs`: "expires in 23h 59m", or "expired 5m 0s ago".
 * Rounds down, so a fresh 24 h certificate reads 23h 59m rather than claiming a full day.
 */
export function formatExpiresIn(notAfter: string, nowMs: number): string {
  const at = Date.parse(notAfter);
  if (Number.isNaN(at)) return 'expiry unknown';
  const left = at - nowMs;
  return left > 0 ? `expires in ${span(left)}` : `expired ${span(-left)} ago`;
}

/** "reviews v2", or just the app when the workload has no version label. */
export function nodeLabel(node: Pick<GraphNode, 'app' | 'version'>): string {
  return node.version ? `${node.app} ${node.version}` : node.app;
}

/** The node's second line: what it is when not a plain sidecar, its namespace, whether it is offline. */
export function nodeSubtitle(node: Pick<GraphNode, 'kind' | 'namespace' | 'connected'>): string {
  const what = node.kind === 'gateway' ? 'gateway' : node.kind === 'unknown' ? 'outside the mesh' : '';
  return [what, node.namespace, node.connected ? '' : 'disconnected'].filter(Boolean).join(' · ');
}

export type Health = 'ok' | 'warn' | 'bad';

/** Error rates where an edge turns orange and red. Kiali turns red at 20%; 10% here, so a 10% abort fault shows red. */
export const WARN_ERROR_RATE = 0.001;
export const BAD_ERROR_RATE = 0.1;

/** Green, orange or red for an edge by its error rate. */
export function healthOf(errorRate: number): Health {
  if (errorRate >= BAD_ERROR_RATE) return 'bad';
  if (errorRate >= WARN_ERROR_RATE) return 'warn';
  return 'ok';
}

/**
 * The label lines of a graph edge: traffic first ("12.3 rps · 90%"), then latency and errors
 * ("p99 14 ms · 2.5% errors"); errors only when there are some.
 */
export function edgeLabelLines(edge: Pick<GraphEdge, 'rps' | 'share' | 'errorRate' | 'p99Ms'> & Partial<Pick<GraphEdge, 'protocol' | 'bytesPerSecond'>>): string[] {
  if (edge.protocol === 'tcp') {
    // A TCP edge's own figures: connections closed per second, their share, bytes both ways.
    const lines = [`TCP ${formatRps(edge.rps).replace('rps', 'conn/s')} · ${formatPercent(edge.share)}`, formatBytesPerSecond(edge.bytesPerSecond ?? 0)];
    if (edge.errorRate > 0) lines[1] += ` · ${formatPercent(edge.errorRate)} failed`;
    return lines;
  }
  const first = [edge.protocol === 'grpc' ? `gRPC ${formatRps(edge.rps)}` : formatRps(edge.rps), formatPercent(edge.share)];
  const second: string[] = [];
  if (edge.p99Ms !== undefined) second.push(`p99 ${formatDuration(edge.p99Ms)}`);
  if (edge.errorRate > 0) second.push(`${formatPercent(edge.errorRate)} errors`);
  const lines = [first.join(' · ')];
  if (second.length > 0) lines.push(second.join(' · '));
  return lines;
}

/** "1.5 KiB/s": bytes per second in binary units. */
export function formatBytesPerSecond(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes <= 0) return '0 B/s';
  const units = ['B/s', 'KiB/s', 'MiB/s', 'GiB/s'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? Math.round(value) : trim(value.toFixed(1))} ${units[unit]}`;
}

/** The share as the tests' `data-share` reads it: three decimals, "0.903". */
export function shareAttribute(share: number): string {
  return (Number.isFinite(share) ? share : 0).toFixed(3);
}

/** Stroke width grows with the log of the rate, so 1 rps and 100 rps both stay readable. */
export function edgeWidth(rps: number): number {
  if (!Number.isFinite(rps) || rps <= 0) return 1.5;
  return Math.min(6, 1.5 + Math.log10(1 + rps) * 1.5);
}

/** A running scenario not heard from for this long has probably stopped (Ctrl-C'd, killed). */
export const SCENARIO_STALE_MS = 60_000;

/** "step 2 of 5 · running" and, for a run that went quiet, how long ago it last reported. */
export function formatScenarioProgress(view: Pick<ScenarioView, 'state' | 'step' | 'updatedAt'>, nowMs: number): { text: string; stale: boolean } {
  const step = view.step.index > 0 ? `step ${view.step.index}${view.step.of ? ` of ${view.step.of}` : ''}` : 'starting';
  const quietMs = nowMs - Date.parse(view.updatedAt);
  const stale = view.state === 'running' && quietMs >= SCENARIO_STALE_MS;
  const state = stale ? `no report for ${formatDuration(quietMs)}; the run may have stopped` : view.state;
  return { text: `${step} · ${state}`, stale };
}
