// Runs a scripted scenario against a running mesh: for each step, writes its config files into
// the config directory, waits until the control plane holds them and every proxy has ACKed the
// snapshot computed from them (@skiff/launcher config-in-force.ts), sets the sample
// apps' behaviour, sends each probe's requests and judges the answers, and reads what the step
// watches from the sidecars' metrics. The files and behaviours it touched are put back as they
// were at the end, so a scenario leaves the mesh as it found it.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { callOutcome, failedCallOutcome, judgeProbe, type AppBehaviour, type ProbeVerdict, type ScriptedScenario, type ScriptedStep, type TrafficProbe } from '@skiff/scenarios';
import { applyConfigFiles } from '@skiff/launcher';
import { controlPlaneJson, productOutcome, writeFileAtomically } from './mesh-io.js';
import { MeshWorkloads } from './mesh-workloads.js';
import { StepWatcher, type WatchReport } from './step-watch.js';

export interface ScriptedRunOptions {
  configDir: string;
  controlPlane: string;
  /** A URL through the gateway that reaches reviews, e.g. http://127.0.0.1:8080/api/product/1. */
  trafficUrl: string;
  onStep: (step: ScriptedStep, index: number) => void;
  onProbe: (result: ProbeResult) => void;
  onWatch?: (report: WatchReport, step: ScriptedStep) => void;
  /** Told after each answer of a probe, for a progress display. */
  onProgress?: (probe: TrafficProbe, done: number) => void;
  signal?: AbortSignal;
}

export interface ProbeResult {
  step: string;
  probe: TrafficProbe;
  counts: Record<string, number>;
  latenciesMs: number[];
  /** Answers that were an HTTP success (2xx), whatever the probe expected. */
  succeeded: number;
  verdict: ProbeVerdict;
}

export interface ScriptedResult {
  ok: boolean;
  /** Stopped by its signal before the last step. */
  interrupted: boolean;
  results: ProbeResult[];
  watches: WatchReport[];
}

function syncz(controlPlane: string): Promise<unknown[]> {
  return controlPlaneJson<unknown[]>(controlPlane, '/debug/syncz');
}

/** The step's files saved, and in force: loaded by the control plane and ACKed by every proxy. */
async function putInForce(options: ScriptedRunOptions, files: Record<string, string | null>): Promise<void> {
  await applyConfigFiles(
    {
      configDir: options.configDir,
      writeConfig: (name, text) => writeFileAtomically(join(options.configDir, name), text),
      readJson: async (path) => ({ status: 200, body: await controlPlaneJson(options.controlPlane, path) }),
    },
    files,
  );
}

/** One request of the probe: what came back (see @skiff/scenarios' outcomes) and how long it took. */
async function sendOnce(probe: TrafficProbe, trafficUrl: string, workloads: MeshWorkloads): Promise<{ outcome: string; ok: boolean; ms: number }> {
  const started = performance.now();
  const target = probe.target ?? { kind: 'page' };
  let outcome: string;
  let ok = false;
  if (target.kind === 'page') {
    outcome = await productOutcome(trafficUrl, probe.headers);
    ok = !/^(HTTP |no HTTP answer|timeout|not JSON)/.test(outcome);
  } else {
    try {
      const answer = target.kind === 'from' ? await workloads.callFrom(target.workload, target.url, probe.headers) : await workloads.callPlaintext(target.workload, target.path, probe.headers);
      const version = answer.headers['x-skiff-version'];
      outcome = callOutcome(answer.status, typeof version === 'string' ? version : undefined);
      ok = answer.status >= 200 && answer.status < 300;
    } catch (error) {
      outcome = failedCallOutcome(error);
    }
  }
  return { outcome, ok, ms: performance.now() - started };
}

async function runProbe(probe: TrafficProbe, trafficUrl: string, workloads: MeshWorkloads, onProgress?: (done: number) => void, signal?: AbortSignal): Promise<{ counts: Record<string, number>; latenciesMs: number[]; succeeded: number }> {
  const counts: Record<string, number> = {};
  const latenciesMs: number[] = [];
  let succeeded = 0;
  let next = 0;
  const worker = async () => {
    while (next < probe.count && !signal?.aborted) {
      next++;
      const { outcome, ok, ms } = await sendOnce(probe, trafficUrl, workloads);
      counts[outcome] = (counts[outcome] ?? 0) + 1;
      latenciesMs.push(ms);
      if (ok) succeeded++;
      onProgress?.(latenciesMs.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(probe.concurrency ?? 1, probe.count) }, worker));
  return { counts, latenciesMs, succeeded };
}

export async function runScripted(scenario: ScriptedScenario, options: ScriptedRunOptions): Promise<ScriptedResult> {
  const originalFiles = new Map<string, string | undefined>();
  const originalBehaviour = new Map<string, Required<AppBehaviour>>();
  const workloads = new MeshWorkloads(options.controlPlane);
  const results: ProbeResult[] = [];
  const watches: WatchReport[] = [];
  let interrupted = false;
  await syncz(options.controlPlane); // fail early, before any file changes, when the mesh is not up
  try {
    for (const [index, step] of scenario.steps.entries()) {
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      options.onStep(step, index);
      for (const name of Object.keys(step.files)) {
        const path = join(options.configDir, name);
        if (!originalFiles.has(name)) originalFiles.set(name, existsSync(path) ? readFileSync(path, 'utf8') : undefined);
      }
      if (Object.keys(step.files).length > 0) await putInForce(options, step.files);
      for (const [name, update] of Object.entries(step.behaviour ?? {})) {
        if (!originalBehaviour.has(name)) originalBehaviour.set(name, await workloads.behaviour(name));
        await workloads.behaviour(name, update);
      }
      const watcher = await StepWatcher.start(step.watch ?? [], workloads);
      for (const probe of step.probes) {
        const { counts, latenciesMs, succeeded } = await runProbe(probe, options.trafficUrl, workloads, (done) => options.onProgress?.(probe, done), options.signal);
        if (options.signal?.aborted) break; // a probe cut short proves nothing either way
        const result = { step: step.title, probe, counts, latenciesMs, succeeded, verdict: judgeProbe(probe, counts, latenciesMs) };
        results.push(result);
        options.onProbe(result);
      }
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      for (const report of await watcher.finish()) {
        watches.push(report);
        options.onWatch?.(report, step);
      }
    }
  } finally {
    for (const [name, behaviour] of originalBehaviour) await workloads.behaviour(name, behaviour).catch(() => undefined);
    if (originalFiles.size > 0) {
      const originals = Object.fromEntries([...originalFiles].map(([name, text]) => [name, text ?? null]));
      // Put back even when the control plane is gone or a file was edited meanwhile; then wait
      // for it to be in force where that can be known.
      await putInForce(options, originals).catch(() => {
        for (const [name, text] of Object.entries(originals)) {
          if (text === null) rmSync(join(options.configDir, name), { force: true });
          else writeFileAtomically(join(options.configDir, name), text);
        }
      });
    }
  }
  const ok = !interrupted && results.every((r) => r.verdict.ok) && watches.every((w) => w.verdict?.ok !== false);
  return { ok, interrupted, results, watches };
}
