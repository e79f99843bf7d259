// `skiff scenario`: guided runs against a running mesh that end with a verdict. The first is
// `canary`: automated canary analysis (Flagger's rules) moving reviews from v1 to v2.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { meshStateDir, fixedPorts, readMeshInfo, type MeshInfo } from '@skiff/launcher';
import { parseCanary, SCRIPTED_SCENARIOS, startCanary, type CanarySpec, type ScriptedScenario, type ScriptedStep, type TrafficProbe } from '@skiff/scenarios';
import { percentile } from '../scenario/percentile.js';
import { runScripted, type ProbeResult } from '../scenario/scripted-runner.js';
import type { WatchReport } from '../scenario/step-watch.js';
import { ScenarioReporter } from '../scenario/scenario-reporter.js';
import { runCanary, type CanaryStep, type CanaryTick } from '../scenario/canary-runner.js';
import { parsePortOffset } from '../local-mesh.js';
import { UsageError } from '../usage-error.js';

/** The canary `skiff scenario run canary` runs when no --file is given. */
export const DEFAULT_CANARY = `apiVersion: skiff.dev/v1alpha1
kind: Canary
metadata:
  name: reviews
spec:
  service: reviews
  primary: v1
  canary: v2
  analysis:
    interval: 10s
    threshold: 2
    stepWeights: [10, 25, 50]
    metrics:
    - name: request-success-rate
      thresholdRange: { min: 99 }
    - name: request-duration
      thresholdRange: { max: 500 }
`;

const SCRIPTED: Record<string, ScriptedScenario> = Object.fromEntries(SCRIPTED_SCENARIOS.map((s) => [s.name, s]));

const SCENARIOS: Record<string, string> = {
  canary: 'shift reviews from v1 to v2 step by step, checking v2\'s success rate and p99 at each step; promote or roll back (Flagger\'s rules)',
  ...Object.fromEntries(Object.values(SCRIPTED).map((s) => [s.name, s.summary])),
};

export const SCENARIO_HELP = `usage: skiff scenario list
       skiff scenario run <name> [options]

Runs a scenario against the running mesh (npm start) and ends with a verdict; exit 0 when it
passes, 1 when a check fails (a canary rolled back), 2 on bad usage. Ctrl-C stops a run
(exit 130): a canary gives the primary 100% again, other scenarios put back what they changed.

  skiff scenario list          # every scenario, with the Istio task it follows
  skiff scenario run canary
  skiff scenario run canary --file my-canary.yaml --json
  skiff scenario run fault     # scripted scenarios put config files and app behaviour back afterwards

  --file <canary.yaml>     canary only: a Canary (skiff.dev/v1alpha1) instead of the built-in one
                           (reviews v1 -> v2 by 10, 25, 50%, 10 s intervals; see docs/canary.md)
  --config <dir>           the config directory the control plane reads (default: the running
                           mesh's, from .skiff/mesh.json, else ./config)
  --gateway <url>          the URL to send traffic to (default: the local gateway's /api/product/1)
  --control-plane <url>    the control plane's monitoring URL (default: http://127.0.0.1:15014)
  --rate <n>               requests per second through the gateway (default: 20)
  --prometheus <url>       canary only: read v2's figures from this Prometheus (e.g.
                           http://127.0.0.1:9090) instead of its sidecars; use an interval of at
                           least 4 scrape intervals
  --port-offset <n>        the mesh was started with \`skiff up --port-offset n\`
  --mesh-token-file <file> the control plane takes the dashboard's reports only with the mesh
                           token (default: .skiff/mesh-token, or .skiff-<offset>/mesh-token, as
                           skiff up writes it; or SKIFF_MESH_TOKEN)
  --json                   one JSON line per step (or probe), then the result
  -h, --help               this text`;

export function formatStep(step: CanaryStep, spec: CanarySpec): string {
  const answered = Object.values(step.traffic.byOutcome).reduce((a, b) => a + b, 0);
  const share = (v: string) => (answered > 0 ? `${Math.round((100 * (step.traffic.byOutcome[v] ?? 0)) / answered)}%` : '-');
  const failed = Object.entries(step.traffic.byOutcome).filter(([k]) => k !== spec.primary && k !== spec.canary);
  const checks = step.checks.map((c) => `${c.ok ? '✔' : '✖'} ${c.name} ${c.reason}`).join('; ');
  return `step ${step.iteration}: ${spec.canary} at ${String(step.weight).padStart(3)}%  seen ${spec.primary} ${share(spec.primary)} ${spec.canary} ${share(spec.canary)}${failed.length ? ` failed ${failed.map(([k, n]) => `${n}×${k}`).join(' ')}` : ''}  ${spec.canary}: ${step.canary.requests} req  ${checks}  -> ${step.action}${step.action === 'advance' ? ` to ${step.state.canaryWeight}%` : step.action === 'hold' ? ` (failed checks ${step.state.failedChecks}/${spec.analysis.threshold})` : ''}`;
}

export function formatTick(tick: CanaryTick, spec: CanarySpec): string {
  const width = 20;
  const done = Math.min(width, Math.round((width * tick.elapsedMs) / tick.intervalMs));
  const seen = Object.entries(tick.traffic.byOutcome)
    .map(([k, n]) => `${k} ${n}`)
    .join('  ');
  return `step ${tick.iteration}: ${spec.canary} at ${tick.weight}% [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${(tick.elapsedMs / 1000).toFixed(0)}/${tick.intervalMs / 1000} s  seen ${seen || '-'}`;
}

/** A probe's line of the step's table: its verdict, then success rate and p99 of its answers. */
export function formatProbe(result: ProbeResult): string {
  const n = result.latenciesMs.length;
  const figures = n === 0 ? '' : `  [${n} answers, ${Math.round((100 * result.succeeded) / n)}% 2xx, p99 ${Math.round(percentile(result.latenciesMs, 0.99))} ms]`;
  return `  ${result.verdict.ok ? '✔' : '✖'} ${result.probe.label}: ${result.verdict.reasons.join('; ')}${figures}`;
}

/** The line a terminal shows while a probe runs. */
export function formatProbeProgress(probe: TrafficProbe, done: number): string {
  const width = 20;
  const filled = Math.min(width, Math.round((width * done) / probe.count));
  return `  … ${probe.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${probe.count}`;
}

export function formatWatch(report: WatchReport): string {
  const lines = [`  ${report.verdict ? (report.verdict.ok ? '✔' : '✖') : '·'} ${report.title}:`, ...report.lines.map((l) => `      ${l}`)];
  if (report.verdict) lines.push(...report.verdict.reasons.map((r) => `      ${r}`));
  return lines.join('\n');
}

/** The running mesh `skiff up` described in .skiff/mesh.json (its config directory and control plane), if there is one. */
function runningMesh(offset: number): MeshInfo | undefined {
  const mesh = readMeshInfo(meshStateDir(offset));
  return mesh instanceof Error ? undefined : mesh;
}

/** The mesh token the control plane asks of the dashboard's reports; undefined when none can be read (the report then says why it was refused). */
function meshToken(file: string | undefined, offset: number): string | undefined {
  if (process.env['SKIFF_MESH_TOKEN']) return process.env['SKIFF_MESH_TOKEN'];
  try {
    return readFileSync(file ?? runningMesh(offset)?.meshTokenFile ?? join(meshStateDir(offset), 'mesh-token'), 'utf8').trim();
  } catch {
    return undefined;
  }
}

async function runScriptedCommand(scripted: ScriptedScenario, values: { config?: string; gateway?: string; 'control-plane'?: string; 'mesh-token-file'?: string; json?: boolean }, offset: number): Promise<number> {
  const ports = fixedPorts(offset);
  const mesh = runningMesh(offset);
  const configDir = resolve(values.config ?? mesh?.configDir ?? 'config');
  const json = values.json === true;
  const live = !json && process.stdout.isTTY === true;
  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort();
  process.once('SIGINT', onSigint);
  const controlPlane = values['control-plane'] ?? mesh?.monitoring ?? `http://127.0.0.1:${ports.monitoring}`;
  const dashboard = new ScenarioReporter(controlPlane, scripted.name, scripted.summary, meshToken(values['mesh-token-file'], offset));
  const options = {
    configDir,
    controlPlane,
    trafficUrl: values.gateway ?? `http://127.0.0.1:${ports.gateway}/api/product/1`,
    signal: interrupt.signal,
    onStep: (step: ScriptedStep, index: number) => {
      dashboard.step({ index: index + 1, of: scripted.steps.length, title: step.title, ...(step.explain ? { explain: step.explain } : {}) });
      if (json) console.log(JSON.stringify({ step: { index: index + 1, of: scripted.steps.length, title: step.title } }));
      else console.log(`\nstep ${index + 1}/${scripted.steps.length}: ${step.title}${step.explain ? `\n  ${step.explain}` : ''}`);
    },
    ...(live ? { onProgress: (probe: TrafficProbe, done: number) => process.stdout.write(`\r\x1b[K${formatProbeProgress(probe, done)}`) } : {}),
    onProbe: (result: ProbeResult) => {
      if (live) process.stdout.write('\r\x1b[K');
      dashboard.check({ name: result.probe.label, ok: result.verdict.ok, detail: result.verdict.reasons.join('; ') });
      console.log(json ? JSON.stringify({ probe: { step: result.step, label: result.probe.label, counts: result.counts, ok: result.verdict.ok, reasons: result.verdict.reasons, answers: result.latenciesMs.length, succeeded: result.succeeded, ...(result.latenciesMs.length > 0 ? { p99Ms: Math.round(percentile(result.latenciesMs, 0.99)) } : {}) } }) : formatProbe(result));
    },
    onWatch: (report: WatchReport, step: ScriptedStep) => {
      dashboard.check({ name: report.title, ...(report.verdict ? { ok: report.verdict.ok } : {}), detail: [...report.lines, ...(report.verdict?.reasons ?? [])].join('; ') });
      console.log(json ? JSON.stringify({ watch: { step: step.title, title: report.title, lines: report.lines, ...(report.verdict ? { ok: report.verdict.ok, reasons: report.verdict.reasons } : {}) } }) : formatWatch(report));
    },
  };
  if (!json) console.log(`${scripted.name}: ${scripted.summary}${scripted.istioTask ? ` (Istio: ${scripted.istioTask})` : ''}\nconfig in ${configDir}, traffic to ${options.trafficUrl}`);
  try {
    const { ok, interrupted, results, watches } = await runScripted(scripted, options);
    const failed = results.filter((r) => !r.verdict.ok).length + watches.filter((w) => w.verdict?.ok === false).length;
    const checks = results.length + watches.filter((w) => w.verdict).length;
    const verdict = interrupted ? 'interrupted' : ok ? `passed: ${checks} checks as expected` : `failed: ${failed} of ${checks} checks did not see what the config asks for`;
    await dashboard.finish(interrupted ? 'interrupted' : ok ? 'passed' : 'failed', verdict);
    console.log(json ? JSON.stringify({ result: { ok, verdict } }) : `\n${ok ? '✔' : '✖'} ${verdict} (config files and app behaviour put back as they were)`);
    return interrupted ? 130 : ok ? 0 : 1;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`skiff scenario run ${scripted.name}: ${message}`);
    await dashboard.finish('failed', message);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export async function scenario(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      file: { type: 'string' },
      config: { type: 'string' },
      gateway: { type: 'string' },
      'control-plane': { type: 'string' },
      rate: { type: 'string' },
      prometheus: { type: 'string' },
      'port-offset': { type: 'string' },
      'mesh-token-file': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(SCENARIO_HELP);
    return 0;
  }
  const [action, name] = positionals;
  if (action === 'list') {
    for (const [n, what] of Object.entries(SCENARIOS)) console.log(`${n.padEnd(16)} ${what}${SCRIPTED[n]?.istioTask ? ` (Istio: ${SCRIPTED[n]?.istioTask})` : n === 'canary' ? ' (Istio: Traffic Management: Traffic Shifting)' : ''}`);
    return 0;
  }
  let spec: CanarySpec;
  let rate: number;
  let offset: number;
  try {
    if (action !== 'run' || !name) throw new UsageError(`expected "list" or "run <name>"; scenarios: ${Object.keys(SCENARIOS).join(', ')}`);
    if (!SCENARIOS[name]) throw new UsageError(`unknown scenario "${name}"; scenarios: ${Object.keys(SCENARIOS).join(', ')}`);
    rate = Number(values.rate ?? 20);
    if (!Number.isFinite(rate) || rate <= 0 || rate > 1000) throw new UsageError(`--rate must be a number of requests per second, 1-1000, got "${values.rate}"`);
    offset = parsePortOffset(values['port-offset']);
    if (SCRIPTED[name]) {
      if (values.file !== undefined) throw new UsageError(`--file is for the canary scenario; "${name}" brings its own config`);
      if (values.prometheus !== undefined) throw new UsageError(`--prometheus is for the canary scenario; "${name}" reads the sidecars`);
      return await runScriptedCommand(SCRIPTED[name], values, offset);
    }
    if (values.file !== undefined && !existsSync(values.file)) throw new UsageError(`--file ${values.file}: no such file`);
    spec = values.file === undefined ? parseCanary('(built-in canary)', DEFAULT_CANARY) : parseCanary(values.file, readFileSync(values.file, 'utf8'));
  } catch (error) {
    console.error(`skiff scenario: ${error instanceof Error ? error.message : String(error)}`);
    return error instanceof UsageError ? 2 : 1;
  }
  const ports = fixedPorts(offset);
  // Defaults from the running mesh (skiff up --config <dir> writes where its config is), else the samples'.
  const mesh = runningMesh(offset);
  const configDir = resolve(values.config ?? mesh?.configDir ?? 'config');
  const trafficUrl = values.gateway ?? `http://127.0.0.1:${ports.gateway}/api/product/1`;
  const controlPlane = values['control-plane'] ?? mesh?.monitoring ?? `http://127.0.0.1:${ports.monitoring}`;
  const log = (line: string) => (values.json ? undefined : console.log(line));
  const live = !values.json && process.stdout.isTTY === true;
  log(`canary ${spec.namespace}/${spec.name}: ${spec.service} ${spec.primary} -> ${spec.canary}, checks every ${spec.analysis.intervalMs / 1000} s, rollback after ${spec.analysis.threshold} failed; traffic ${rate}/s to ${trafficUrl}; ${spec.canary}'s figures from ${values.prometheus ? `Prometheus at ${values.prometheus}` : 'its sidecars'}`);
  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort();
  process.once('SIGINT', onSigint);
  const dashboard = new ScenarioReporter(controlPlane, 'canary', `${spec.service} ${spec.primary} -> ${spec.canary} (Canary ${spec.namespace}/${spec.name})`, meshToken(values['mesh-token-file'], offset));
  const weights = (canaryWeight: number) => ({ [spec.primary]: 100 - canaryWeight, [spec.canary]: canaryWeight });
  const firstWeight = startCanary(spec.analysis).canaryWeight;
  dashboard.step({ index: 1, title: `${spec.canary} at ${firstWeight}%: measuring for ${spec.analysis.intervalMs / 1000} s` }, weights(firstWeight));
  try {
    const result = await runCanary({
      signal: interrupt.signal,
      spec,
      configDir,
      controlPlane,
      trafficUrl,
      ratePerSecond: rate,
      ...(values.prometheus !== undefined ? { prometheus: values.prometheus } : {}),
      onStep: (step) => {
        // The dashboard shows the interval under way, with the checks of the one just judged.
        const checks = step.checks.map((c) => ({ name: `step ${step.iteration} (${step.weight}%, ${step.action}): ${c.name}`, ok: c.ok, detail: c.reason }));
        const next = step.action === 'advance' || step.action === 'hold';
        dashboard.step({ index: step.iteration + (next ? 1 : 0), title: next ? `${spec.canary} at ${step.state.canaryWeight}%: measuring for ${spec.analysis.intervalMs / 1000} s` : `${spec.canary} at ${step.weight}%: ${step.action}` }, weights(step.state.canaryWeight), checks);
        if (live) process.stdout.write('\r\x1b[K');
        if (values.json) console.log(JSON.stringify({ step }));
        else log(formatStep(step, spec));
      },
      // On a terminal, a progress bar for the interval under way with the answers so far.
      ...(live ? { onTick: (tick: CanaryTick) => process.stdout.write(`\r\x1b[K${formatTick(tick, spec)}`) } : {}),
    });
    if (live) process.stdout.write('\r\x1b[K');
    const verdict =
      result.phase === 'Succeeded'
        ? `promoted: ${spec.canary} takes 100% of ${spec.service}`
        : result.phase === 'Interrupted'
          ? `interrupted: ${spec.primary} takes 100% of ${spec.service} again`
          : `rolled back: ${spec.primary} takes 100% of ${spec.service} again`;
    const finalWeight = result.phase === 'Succeeded' ? 100 : 0;
    await dashboard.finish(result.phase === 'Succeeded' ? 'passed' : result.phase === 'Interrupted' ? 'interrupted' : 'failed', verdict, weights(finalWeight));
    if (values.json) console.log(JSON.stringify({ result: { phase: result.phase, verdict, file: result.file, steps: result.steps.length } }));
    else log(`${result.phase === 'Succeeded' ? '✔' : '✖'} ${verdict} (weights in ${result.file})`);
    // 130: interrupted by SIGINT, as shells report it.
    return result.phase === 'Succeeded' ? 0 : result.phase === 'Interrupted' ? 130 : 1;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`skiff scenario run ${name}: ${message}`);
    await dashboard.finish('failed', message);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
