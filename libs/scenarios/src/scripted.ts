// Scenarios told as steps: each step puts Istio config in force (and may change how a sample app
// behaves), sends probes of traffic and judges what came back. A probe says what share of its
// answers it expects from each outcome (a reviews version, an HTTP status, no answer at all).
// Shares of 0% and 100% must hold exactly; others hold when the count is inside the 99.9%
// binomial interval, so a correct mesh passes whatever the luck. Where a share is not the
// point (a burst that must overflow "sometimes"), a probe bounds the count instead.
import { binomialInterval } from './binomial.js';

/** Where a probe's requests go. */
export type ProbeTarget =
  /** The product page through the gateway, as a user's browser asks for it (the default). */
  | { kind: 'page' }
  /** An in-mesh URL through a workload's sidecar, the way that workload's app calls it. */
  | { kind: 'from'; workload: string; url: string }
  /** A path straight at a workload's inbound port in plaintext: a caller outside the mesh, with no identity. */
  | { kind: 'plaintext'; workload: string; path: string };

/** A percent of the answers, or bounds on how many answers. */
export type Expectation = number | { atLeast?: number; atMost?: number };

export interface TrafficProbe {
  /** What the probe stands for, e.g. "jason (end-user header)". */
  label: string;
  target?: ProbeTarget;
  headers?: Record<string, string>;
  count: number;
  /** Requests in flight at once (default 1: one after another). */
  concurrency?: number;
  /** Expected outcomes ("v1", "HTTP 503", "v2, ratings 500"); outcomes not named expect 0%. */
  expect: Record<string, Expectation>;
  /** Bounds every answer's time must keep, in ms. */
  latencyMs?: { atLeast?: number; atMost?: number };
}

/** reviews' failure and latency knobs (its POST /admin/behaviour). */
export interface AppBehaviour {
  failPercent?: number;
  extraLatencyMs?: number;
}

/** What a step reads from the sidecars' metrics while its probes run. */
export type StepWatch =
  /** Who called the workload, with what identity and transport security (its inbound metrics). */
  | { kind: 'identities'; workload: string }
  /** Requests, success rate and p99 of two versions of a service; the shadow must see `percent`% of the primary's requests. */
  | { kind: 'mirror'; service: string; primary: string; shadow: string; percent: number };

export interface ScriptedStep {
  title: string;
  /** What to notice, told before the probes run. */
  explain?: string;
  /** Config files to write (name -> YAML) before the probes run. */
  files: Record<string, string>;
  /** Sample apps to change before the probes run, by workload name (e.g. reviews-v2). Put back at the end. */
  behaviour?: Record<string, AppBehaviour>;
  probes: TrafficProbe[];
  watch?: StepWatch[];
}

export interface ScriptedScenario {
  name: string;
  summary: string;
  /** The Istio task it follows, e.g. "Traffic Management > Fault Injection". */
  istioTask?: string;
  steps: ScriptedStep[];
}

export interface ProbeVerdict {
  ok: boolean;
  /** e.g. "✔ v2 40/40, expected 100%" or "✖ v2 9/40, expected 14..26 (35%)". */
  reasons: string[];
}

function judgeCount(got: number, n: number, expectation: Expectation): { pass: boolean; expected: string; named: boolean } {
  if (typeof expectation !== 'number') {
    const { atLeast = 0, atMost = Infinity } = expectation;
    const expected = atMost === Infinity ? `at least ${atLeast}` : atLeast === 0 ? `at most ${atMost}` : `${atLeast}..${atMost}`;
    return { pass: got >= atLeast && got <= atMost, expected, named: true };
  }
  const p = expectation / 100;
  if (p <= 0 || p >= 1) return { pass: p >= 1 ? n > 0 && got === n : got === 0, expected: `${expectation}%`, named: expectation > 0 };
  const { low, high } = binomialInterval(n, p);
  return { pass: got >= low && got <= high, expected: `${Math.max(0, Math.ceil(low))}..${Math.floor(high)} (${expectation}%)`, named: true };
}

/** `latencies`: each answer's time in ms, when the probe bounds it. */
export function judgeProbe(probe: TrafficProbe, counts: Readonly<Record<string, number>>, latencies: readonly number[] = []): ProbeVerdict {
  const n = Object.values(counts).reduce((a, b) => a + b, 0);
  const outcomes = new Set([...Object.keys(probe.expect), ...Object.keys(counts)]);
  const reasons: string[] = [];
  let ok = n > 0;
  if (n === 0) reasons.push('no answers at all');
  for (const outcome of [...outcomes].sort()) {
    const got = counts[outcome] ?? 0;
    const { pass, expected, named } = judgeCount(got, n, probe.expect[outcome] ?? 0);
    if (!pass) ok = false;
    if (got > 0 || named) reasons.push(`${pass ? '✔' : '✖'} ${outcome} ${got}/${n}, expected ${expected}`);
  }
  if (probe.latencyMs && latencies.length > 0) {
    const { atLeast = 0, atMost = Infinity } = probe.latencyMs;
    const fastest = Math.min(...latencies);
    const slowest = Math.max(...latencies);
    const pass = fastest >= atLeast && slowest <= atMost;
    if (!pass) ok = false;
    const bound = atMost === Infinity ? `at least ${atLeast}` : atLeast === 0 ? `at most ${atMost}` : `${atLeast}..${atMost}`;
    reasons.push(`${pass ? '✔' : '✖'} took ${Math.round(fastest)}..${Math.round(slowest)} ms, expected ${bound} ms`);
  }
  return { ok, reasons };
}

/** The mirror watch's verdict: the shadow got its share of the primary's requests (copies are fire-and-forget, so 1 + 2% may be in flight). */
export function judgeMirror(watch: Extract<StepWatch, { kind: 'mirror' }>, primaryRequests: number, shadowRequests: number): ProbeVerdict {
  const p = watch.percent / 100;
  let pass: boolean;
  let expected: string;
  if (p <= 0) {
    pass = shadowRequests === 0;
    expected = '0';
  } else if (p >= 1) {
    const slack = 1 + Math.ceil(0.02 * primaryRequests);
    pass = primaryRequests > 0 && shadowRequests >= primaryRequests - slack && shadowRequests <= primaryRequests;
    expected = `${Math.max(0, primaryRequests - slack)}..${primaryRequests}`;
  } else {
    const { low, high } = binomialInterval(primaryRequests, p);
    pass = primaryRequests > 0 && shadowRequests >= low && shadowRequests <= high;
    expected = `${Math.max(0, Math.ceil(low))}..${Math.floor(high)} (${watch.percent}%)`;
  }
  return { ok: pass, reasons: [`${pass ? '✔' : '✖'} ${watch.shadow} received ${shadowRequests} copies of ${primaryRequests} requests to ${watch.primary}, expected ${expected}`] };
}
