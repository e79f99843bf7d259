// Runs a Canary against a running mesh: moves the weights in the config directory (the control
// plane pushes them), sends steady traffic through the gateway, and every interval reads the
// canary's sidecars' metrics and lets the analysis decide: advance, hold, promote or roll back.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfigFile, type DestinationRule, type WorkloadInfo } from '@skiff/api';
import { canaryVirtualService, nextCanaryState, setCanaryWeight, startCanary, type CanarySpec, type CanaryState, type CheckResult, type IntervalMeasurement } from '@skiff/scenarios';
import { parsePrometheusText, type Sample } from '@skiff/telemetry';
import { measureCanary } from './canary-metrics.js';
import { measureFromPrometheus } from './prometheus-metrics.js';
import { controlPlaneJson, writeFileAtomically } from './mesh-io.js';
import { SteadyTraffic, type TrafficWindow } from './traffic.js';

export interface CanaryRunOptions {
  spec: CanarySpec;
  configDir: string;
  /** The control plane's monitoring URL (its registry names the canary's proxies). */
  controlPlane: string;
  /** A URL through the gateway that reaches the service, e.g. http://127.0.0.1:8080/api/product/1. */
  trafficUrl: string;
  ratePerSecond: number;
  /** Told about every step as it happens. */
  onStep: (step: CanaryStep) => void;
  /** Time for a pushed weight to reach the sidecars before the interval is measured. */
  settleMs?: number;
  /** Told twice a second while an interval runs, for a progress display. */
  onTick?: (tick: CanaryTick) => void;
  /** Aborting it (Ctrl-C) ends the run at once and puts all traffic back on the primary. */
  signal?: AbortSignal;
  /** Read the canary's figures from this Prometheus (its base URL) instead of its sidecars. */
  prometheus?: string;
}

export interface CanaryTick {
  iteration: number;
  weight: number;
  elapsedMs: number;
  intervalMs: number;
  traffic: ReturnType<SteadyTraffic['peek']>;
}

export interface CanaryStep {
  iteration: number;
  /** Canary weight in force during this interval. */
  weight: number;
  traffic: TrafficWindow;
  canary: IntervalMeasurement;
  checks: CheckResult[];
  action: 'advance' | 'hold' | 'promote' | 'rollback';
  /** After the decision. */
  state: CanaryState;
}

export interface CanaryResult {
  /** Interrupted: stopped by its signal, with the primary given 100% again. */
  phase: CanaryState['phase'] | 'Interrupted';
  steps: CanaryStep[];
  /** The file whose weights the run moved. */
  file: string;
}

/** The DestinationRule subset's labels, from the config directory. */
export function subsetLabels(configDir: string, spec: CanarySpec, subset: string): Record<string, string> {
  for (const name of yamlFiles(configDir)) {
    const parsed = parseConfigFile(name, readFileSync(join(configDir, name), 'utf8'));
    for (const r of parsed.resources) {
      if (r.kind !== 'DestinationRule') continue;
      const dr = r as unknown as DestinationRule;
      if (dr.spec.host !== spec.service && !dr.spec.host.startsWith(`${spec.service}.`)) continue;
      const found = dr.spec.subsets?.find((s) => s.name === subset);
      if (found) return found.labels ?? {};
    }
  }
  throw new Error(`no DestinationRule in ${configDir} defines subset "${subset}" of ${spec.service}; the canary moves weight between DestinationRule subsets`);
}

function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) throw new Error(`config directory ${dir} does not exist; pass --config <dir>, the directory the control plane reads`);
  return readdirSync(dir).filter((n) => /\.ya?ml$/.test(n) && !n.startsWith('.')).sort();
}

/** Sets the weight in the file that routes the service, or in a file of the runner's own. */
export function writeWeight(configDir: string, spec: CanarySpec, weight: number): string {
  for (const name of yamlFiles(configDir)) {
    const path = join(configDir, name);
    const next = setCanaryWeight(name, readFileSync(path, 'utf8'), spec, weight);
    if (next !== undefined) {
      writeFileAtomically(path, next);
      return path;
    }
  }
  const path = join(configDir, `canary-${spec.name}.yaml`);
  writeFileAtomically(path, canaryVirtualService(spec, weight));
  return path;
}

async function canaryProxies(controlPlane: string, spec: CanarySpec, labels: Record<string, string>): Promise<WorkloadInfo[]> {
  const all = await controlPlaneJson<WorkloadInfo[]>(controlPlane, '/debug/registryz');
  const matching = all.filter((w) => w.service === spec.service && w.namespace === spec.namespace && Object.entries(labels).every(([k, v]) => w.labels[k] === v) && w.adminPort);
  if (matching.length === 0) throw new Error(`no proxy of ${spec.service} ${spec.canary} (${JSON.stringify(labels)}) is connected to ${controlPlane}; start it first`);
  return matching;
}

/** Each canary proxy's Istio metrics, by proxy id. */
async function scrape(proxies: readonly WorkloadInfo[]): Promise<Map<string, Sample[]>> {
  const texts = await Promise.all(proxies.map((p) => fetch(`http://${p.address}:${p.adminPort}/stats/prometheus`, { signal: AbortSignal.timeout(3000) }).then((r) => r.text())));
  return new Map(texts.map((t, i) => [proxies[i]?.id ?? String(i), parsePrometheusText(t)]));
}

export async function runCanary(options: CanaryRunOptions): Promise<CanaryResult> {
  const { spec } = options;
  const labels = subsetLabels(options.configDir, spec, spec.canary);
  subsetLabels(options.configDir, spec, spec.primary);
  // From Prometheus, each interval is one query at its end; from the sidecars, a scrape at each end.
  const proxies = options.prometheus === undefined ? await canaryProxies(options.controlPlane, spec, labels) : [];
  if (options.prometheus !== undefined) await measureFromPrometheus(options.prometheus, spec, labels, spec.analysis.intervalMs); // fail early: unreachable, or a bad query
  const measure = async (before: Map<string, Sample[]>) =>
    options.prometheus === undefined ? measureCanary(before, await scrape(proxies)) : measureFromPrometheus(options.prometheus, spec, labels, spec.analysis.intervalMs);
  const settleMs = options.settleMs ?? 1000;
  let state = startCanary(spec.analysis);
  const file = writeWeight(options.configDir, spec, state.canaryWeight);
  const traffic = new SteadyTraffic(options.trafficUrl, options.ratePerSecond);
  const steps: CanaryStep[] = [];
  const signal = options.signal;
  try {
    while (state.phase === 'Progressing') {
      if (signal?.aborted) break;
      const weight = state.canaryWeight;
      await sleep(settleMs, signal);
      traffic.takeWindow();
      const before = await scrape(proxies);
      const started = Date.now();
      const ticker = options.onTick
        ? setInterval(() => options.onTick?.({ iteration: state.iterations + 1, weight, elapsedMs: Date.now() - started, intervalMs: spec.analysis.intervalMs, traffic: traffic.peek() }), 500)
        : undefined;
      await sleep(spec.analysis.intervalMs, signal).finally(() => clearInterval(ticker));
      if (signal?.aborted) break;
      const canary = await measure(before);
      const decision = nextCanaryState(spec.analysis, state, canary);
      state = decision.state;
      const step: CanaryStep = { iteration: state.iterations, weight, traffic: traffic.takeWindow(), canary, checks: decision.checks, action: decision.action, state };
      steps.push(step);
      options.onStep(step);
      if (state.canaryWeight !== weight) writeWeight(options.configDir, spec, state.canaryWeight);
    }
  } finally {
    await traffic.stop();
  }
  if (signal?.aborted && state.phase === 'Progressing') {
    // Half a release is nobody's intent: an interrupted canary hands everything back to the primary.
    writeWeight(options.configDir, spec, 0);
    return { phase: 'Interrupted', steps, file };
  }
  return { phase: state.phase, steps, file };
}

/** Resolves after `ms`, or at once when the signal aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
