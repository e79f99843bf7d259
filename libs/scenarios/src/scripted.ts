// Scenarios told as steps: each step puts Istio config in force and sends probes of traffic
// through the gateway, and each probe says what share of answers it expects from each outcome
// (a reviews version, or a failure). Shares of 0% and 100% must hold exactly; others hold when
// the count is inside the 99.9% binomial interval, so a correct mesh passes whatever the luck.
import { binomialInterval } from './binomial.js';

export interface TrafficProbe {
  /** What the probe stands for, e.g. "jason (end-user header)". */
  label: string;
  headers?: Record<string, string>;
  count: number;
  /** Expected percent of answers per outcome ("v1", "v2", "HTTP 503"); outcomes not named expect 0%. */
  expect: Record<string, number>;
}

export interface ScriptedStep {
  title: string;
  /** Config files to write (name -> YAML) before the probes run. */
  files: Record<string, string>;
  probes: TrafficProbe[];
}

export interface ScriptedScenario {
  name: string;
  summary: string;
  steps: ScriptedStep[];
}

export interface ProbeVerdict {
  ok: boolean;
  /** e.g. "v2 40/40 (expected 100%)" or "v2 9/40, expected 14..26 (35%)". */
  reasons: string[];
}

export function judgeProbe(probe: TrafficProbe, counts: Readonly<Record<string, number>>): ProbeVerdict {
  const n = Object.values(counts).reduce((a, b) => a + b, 0);
  const outcomes = new Set([...Object.keys(probe.expect), ...Object.keys(counts)]);
  const reasons: string[] = [];
  let ok = n > 0;
  if (n === 0) reasons.push('no answers at all');
  for (const outcome of [...outcomes].sort()) {
    const got = counts[outcome] ?? 0;
    const percent = probe.expect[outcome] ?? 0;
    const p = percent / 100;
    let pass: boolean;
    let expected: string;
    if (p <= 0 || p >= 1) {
      pass = p >= 1 ? n > 0 && got === n : got === 0;
      expected = `${percent}%`;
    } else {
      const { low, high } = binomialInterval(n, p);
      pass = got >= low && got <= high;
      expected = `${Math.max(0, Math.ceil(low))}..${Math.floor(high)} (${percent}%)`;
    }
    if (!pass) ok = false;
    if (got > 0 || percent > 0) reasons.push(`${pass ? '✔' : '✖'} ${outcome} ${got}/${n}, expected ${expected}`);
  }
  return { ok, reasons };
}
