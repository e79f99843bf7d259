// Changing a running mesh's config from a test, and knowing when the change is in force: the
// control plane has read the files (its resources are what the files say) and every proxy has
// ACKed the snapshot the control plane computes from them. Polling those debug views instead of
// sleeping makes a test as fast as the mesh and never early.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { fileHasErrors, formatIssues, parseConfigFile, type Loaded, type ValidationIssue } from '@skiff/api';
import { getJson } from './http.js';
import type { TestMesh } from './mesh.js';
import { waitFor } from './wait.js';

interface ConfigzView {
  files: Array<{ file: string; resources: number; rejected: boolean }>;
  issues: Array<ValidationIssue & { text: string }>;
  resources: Loaded[];
}

interface SynczEntry {
  proxy: string;
  sent: string;
  acked: string;
  synced: boolean;
  nacks: number;
  lastNack?: { version: string; error: string };
}

export interface AppliedConfig {
  /** Proxies that took a new snapshot version because of this change. */
  changedProxies: string[];
  /** Every proxy's version once the change is in force. */
  versions: Record<string, string>;
  ms: number;
}

export interface ApplyConfigOptions {
  timeoutMs?: number;
}

/**
 * Writes config files into the mesh's config directory (a `null` text deletes the file) and
 * resolves once the control plane holds exactly the resources they define and every proxy runs
 * (sent === acked) the snapshot computed from them — with at least one proxy on a new version
 * when the resources changed. A file with validation errors is refused before it is written:
 * tests apply config they expect to work.
 */
/** What applyConfig needs of a mesh: a local one (startTestMesh) or a compose one. */
export type ConfigurableMesh = Pick<TestMesh, 'configDir' | 'controlPlane' | 'writeConfig'>;

export async function applyConfig(mesh: ConfigurableMesh, files: Record<string, string | null>, options: ApplyConfigOptions = {}): Promise<AppliedConfig> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 15_000;
  const expected = new Map<string, unknown[] | null>();
  for (const [name, text] of Object.entries(files)) {
    if (text === null) {
      expected.set(name, null);
      continue;
    }
    const parsed = parseConfigFile(name, text);
    if (fileHasErrors(parsed.issues)) throw new Error(`applyConfig: ${name} does not validate, so the control plane would reject it; fix the test's YAML:\n${formatIssues(parsed.issues)}`);
    expected.set(name, parsed.resources.map(withoutSource));
  }

  const configz = () => getJson<ConfigzView>(`${mesh.controlPlane}/debug/configz`, {}, { newConnection: true }).then((r) => r.body);
  const syncz = () => getJson<SynczEntry[]>(`${mesh.controlPlane}/debug/syncz`, {}, { newConnection: true }).then((r) => r.body);
  const before = await configz();
  const versionsBefore = new Map((await syncz()).map((s) => [s.proxy, s.acked]));
  const resourcesChanged = [...expected].some(([name, resources]) => !fileMatches(before, name, resources));

  for (const [name, text] of Object.entries(files)) {
    if (text === null) rmSync(join(mesh.configDir, name), { force: true });
    else mesh.writeConfig(name, text);
  }

  let lastConfig = before;
  await waitFor(
    `the control plane to load ${Object.keys(files).join(', ')}`,
    async () => {
      lastConfig = await configz();
      return [...expected].every(([name, resources]) => fileMatches(lastConfig, name, resources));
    },
    timeoutMs,
  ).catch((error: unknown) => {
    const issues = lastConfig.issues.filter((i) => [...expected.keys()].some((name) => sameFile(i.file, name)));
    throw new Error(`${(error as Error).message}\ncontrol plane's messages for these files:\n${issues.map((i) => i.text).join('\n') || '(none)'}`);
  });

  let last: Array<SynczEntry & { wanted: string }> = [];
  const outcome = await waitFor(
    'every proxy to ACK the snapshot of the new config',
    async (): Promise<{ nack: string } | boolean> => {
      const entries = await syncz();
      last = await Promise.all(entries.map(async (e) => ({ ...e, wanted: await computedVersion(mesh, e.proxy) })));
      const nacked = last.find((e) => e.lastNack && e.lastNack.version === e.sent && e.sent === e.wanted && e.acked !== e.sent);
      if (nacked) return { nack: `proxy ${nacked.proxy} rejected the new config (NACK): ${nacked.lastNack?.error}` };
      const inForce = last.length > 0 && last.every((e) => e.sent === e.acked && e.acked === e.wanted);
      const moved = last.some((e) => versionsBefore.get(e.proxy) !== e.acked);
      return inForce && (moved || !resourcesChanged);
    },
    timeoutMs,
  ).catch((error: unknown) => {
    const state = last.map((e) => `${e.proxy}: sent ${e.sent}, acked ${e.acked}, wanted ${e.wanted}, before ${versionsBefore.get(e.proxy) ?? '-'}`).join('\n');
    const hint = resourcesChanged ? '\n(if every proxy is synced on its old version, the change did not alter any snapshot: does configgen carry these fields?)' : '';
    throw new Error(`${(error as Error).message}\n${state}${hint}`);
  });
  if (typeof outcome === 'object') throw new Error(`applyConfig: ${outcome.nack}`);

  return {
    changedProxies: last.filter((e) => versionsBefore.get(e.proxy) !== e.acked).map((e) => e.proxy),
    versions: Object.fromEntries(last.map((e) => [e.proxy, e.acked])),
    ms: Date.now() - started,
  };
}

/** The version the control plane computes for a proxy from the config it holds now. */
async function computedVersion(mesh: ConfigurableMesh, proxy: string): Promise<string> {
  const res = await getJson<{ version: string }>(`${mesh.controlPlane}/debug/snapshot?proxy=${encodeURIComponent(proxy)}`, {}, { newConnection: true });
  if (res.status !== 200) throw new Error(`/debug/snapshot?proxy=${proxy} answered ${res.status}`);
  return res.body.version;
}

// The control plane names files relative to its working directory; the test knows base names.
function sameFile(reported: string, name: string): boolean {
  return reported === name || reported.endsWith(`/${name}`);
}

function fileMatches(view: ConfigzView, name: string, resources: unknown[] | null): boolean {
  const entry = view.files.find((f) => sameFile(f.file, name));
  const held = view.resources.filter((r) => sameFile(r.source.file, name)).map(withoutSource);
  if (resources === null) return entry === undefined && held.length === 0;
  if (!entry || entry.rejected) return false;
  return isDeepStrictEqual(JSON.parse(JSON.stringify(held)), JSON.parse(JSON.stringify(resources)));
}

function withoutSource(resource: Loaded): unknown {
  const { source: _source, ...rest } = resource;
  return rest;
}
