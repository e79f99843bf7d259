// Automated canary analysis in Flagger's terms, as a pure state machine: each interval the
// runner measures the canary, and this decides what happens next. Flagger's rules
// (https://docs.flagger.app, "Canary analysis"): every check passes -> the canary's weight
// goes up by stepWeight, and past maxWeight it is promoted; a check fails (or has no data) ->
// the weight holds and the failed-check count goes up; at `threshold` failed checks the canary
// is rolled back to 0%. The count is not reset by a later good interval.

export type CanaryMetricName = 'request-success-rate' | 'request-duration';

export interface CanaryMetricCheck {
  name: CanaryMetricName;
  /** request-success-rate: percent of non-5xx answers (min); request-duration: p99 in ms (max). */
  thresholdRange: { min?: number; max?: number };
}

export interface CanaryAnalysis {
  intervalMs: number;
  /** Failed checks before a rollback. */
  threshold: number;
  stepWeight: number;
  maxWeight: number;
  /** Flagger's non-linear progression (e.g. 10, 25, 50): used instead of stepWeight/maxWeight when set. */
  stepWeights?: number[];
  metrics: CanaryMetricCheck[];
}

/** The weight after a passing interval at `current`, or undefined when the canary is at its last step. */
function nextWeight(analysis: CanaryAnalysis, current: number): number | undefined {
  if (analysis.stepWeights && analysis.stepWeights.length > 0) return analysis.stepWeights.find((w) => w > current);
  return current >= analysis.maxWeight ? undefined : Math.min(analysis.maxWeight, current + analysis.stepWeight);
}

/** What the canary did during one interval. */
export interface IntervalMeasurement {
  requests: number;
  /** Percent of answers that were not 5xx; undefined without requests. */
  successRate: number | undefined;
  /** p99 latency in ms; undefined without requests. */
  p99Ms: number | undefined;
}

export type CanaryPhase = 'Progressing' | 'Succeeded' | 'Failed';

export interface CanaryState {
  phase: CanaryPhase;
  /** Percent of traffic on the canary. */
  canaryWeight: number;
  failedChecks: number;
  iterations: number;
}

export interface CheckResult {
  name: CanaryMetricName;
  value: number | undefined;
  ok: boolean;
  /** Why, in words a learner reads in the table: "99.2% >= 99%" or "no requests reached the canary". */
  reason: string;
}

export interface CanaryDecision {
  state: CanaryState;
  checks: CheckResult[];
  action: 'advance' | 'hold' | 'promote' | 'rollback';
}

export function startCanary(analysis: CanaryAnalysis): CanaryState {
  const first = analysis.stepWeights?.[0] ?? Math.min(analysis.stepWeight, analysis.maxWeight);
  return { phase: 'Progressing', canaryWeight: first, failedChecks: 0, iterations: 0 };
}

export function evaluateChecks(analysis: CanaryAnalysis, m: IntervalMeasurement): CheckResult[] {
  return analysis.metrics.map((check) => {
    const value = check.name === 'request-success-rate' ? m.successRate : m.p99Ms;
    const unit = check.name === 'request-success-rate' ? '%' : ' ms';
    if (m.requests === 0 || value === undefined || Number.isNaN(value)) return { name: check.name, value: undefined, ok: false, reason: 'no requests reached the canary in this interval' };
    const { min, max } = check.thresholdRange;
    if (min !== undefined && value < min) return { name: check.name, value, ok: false, reason: `${round(value)}${unit} < ${min}${unit}` };
    if (max !== undefined && value > max) return { name: check.name, value, ok: false, reason: `${round(value)}${unit} > ${max}${unit}` };
    const bound = min !== undefined ? ` >= ${min}${unit}` : max !== undefined ? ` <= ${max}${unit}` : '';
    return { name: check.name, value, ok: true, reason: `${round(value)}${unit}${bound}` };
  });
}

export function nextCanaryState(analysis: CanaryAnalysis, state: CanaryState, measurement: IntervalMeasurement): CanaryDecision {
  if (state.phase !== 'Progressing') return { state, checks: [], action: 'hold' };
  const checks = evaluateChecks(analysis, measurement);
  const iterations = state.iterations + 1;
  if (checks.some((c) => !c.ok)) {
    const failedChecks = state.failedChecks + 1;
    if (failedChecks >= analysis.threshold) return { state: { phase: 'Failed', canaryWeight: 0, failedChecks, iterations }, checks, action: 'rollback' };
    return { state: { ...state, failedChecks, iterations }, checks, action: 'hold' };
  }
  const next = nextWeight(analysis, state.canaryWeight);
  if (next === undefined) return { state: { ...state, phase: 'Succeeded', canaryWeight: 100, iterations }, checks, action: 'promote' };
  return { state: { ...state, canaryWeight: next, iterations }, checks, action: 'advance' };
}

function round(n: number): string {
  return String(Math.round(n * 100) / 100);
}
