// Runs a scripted scenario against a running mesh: writes each step's config files into the
// config directory, waits until every proxy has ACKed the resulting push, sends each probe's
// requests through the gateway and judges the answers. The files it touched are put back as
// they were at the end, so a scenario leaves the mesh as it found it.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { controlPlaneJson, productOutcome, writeFileAtomically } from './mesh-io.js';
import { judgeProbe, type ProbeVerdict, type ScriptedScenario, type TrafficProbe } from '@skiff/scenarios';

export interface ScriptedRunOptions {
  configDir: string;
  controlPlane: string;
  /** A URL through the gateway that reaches reviews, e.g. http://127.0.0.1:8080/api/product/1. */
  trafficUrl: string;
  onStep: (title: string, index: number) => void;
  onProbe: (result: ProbeResult) => void;
}

export interface ProbeResult {
  step: string;
  probe: TrafficProbe;
  counts: Record<string, number>;
  verdict: ProbeVerdict;
}

interface SyncRow {
  proxy: string;
  acked: string;
  synced: boolean;
}

function syncz(controlPlane: string): Promise<SyncRow[]> {
  return controlPlaneJson<SyncRow[]>(controlPlane, '/debug/syncz');
}

/** Until some proxy's ACKed version differs from `before` and every proxy is in sync (10 s at most). */
async function waitForPush(controlPlane: string, before: SyncRow[]): Promise<void> {
  const was = new Map(before.map((r) => [r.proxy, r.acked]));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const now = await syncz(controlPlane);
    if (now.some((r) => r.acked !== was.get(r.proxy)) && now.every((r) => r.synced)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function runScripted(scenario: ScriptedScenario, options: ScriptedRunOptions): Promise<{ ok: boolean; results: ProbeResult[] }> {
  const originals = new Map<string, string | undefined>();
  const results: ProbeResult[] = [];
  await syncz(options.controlPlane); // fail early, before any file changes, when the mesh is not up
  try {
    for (const [index, step] of scenario.steps.entries()) {
      options.onStep(step.title, index);
      const before = await syncz(options.controlPlane);
      for (const [name, text] of Object.entries(step.files)) {
        const path = join(options.configDir, name);
        if (!originals.has(path)) originals.set(path, existsSync(path) ? readFileSync(path, 'utf8') : undefined);
        writeFileAtomically(path, text);
      }
      await waitForPush(options.controlPlane, before);
      for (const probe of step.probes) {
        const counts: Record<string, number> = {};
        for (let i = 0; i < probe.count; i++) {
          const outcome = await productOutcome(options.trafficUrl, probe.headers);
          counts[outcome] = (counts[outcome] ?? 0) + 1;
        }
        const result = { step: step.title, probe, counts, verdict: judgeProbe(probe, counts) };
        results.push(result);
        options.onProbe(result);
      }
    }
  } finally {
    const before = await syncz(options.controlPlane).catch(() => []);
    for (const [path, text] of originals) {
      if (text === undefined) rmSync(path, { force: true });
      else writeFileAtomically(path, text);
    }
    if (originals.size > 0 && before.length > 0) await waitForPush(options.controlPlane, before).catch(() => undefined);
  }
  return { ok: results.every((r) => r.verdict.ok), results };
}
