// Changing a running mesh's config and knowing when the change is in force: the control plane
// holds exactly the resources the files define, and every proxy has ACKed the snapshot the
// control plane computes from them. `skiff scenario` and the tests both wait this way; polling
// the control plane's debug views instead of sleeping is as fast as the mesh and never early.
//
// Waiting for "some proxy's version moved" is early: the control plane applies each file once it
// has stayed unchanged for the settle time, so two files saved together can reach the proxies in
// two pushes. A scenario step that did so probed the mesh between them (ratings still aborted
// jason's requests when the step expected its delay).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { fileHasErrors, formatIssues, parseConfigFile, type Loaded, type ValidationIssue } from '@skiff/api';

/** A running mesh's config directory and control plane, as whoever changes it reaches them. */
export interface ConfigTarget {
  configDir: string;
  /** GETs a control-plane debug path (`/debug/configz`, `/debug/syncz`, `/debug/snapshot?proxy=`). */
  readJson<T>(path: string): Promise<{ status: number; body: T }>;
  /** Saves a file into `configDir` whole (write, then rename), as an editor does. */
  writeConfig(name: string, text: string): void;
}

export interface AppliedConfig {
  /** Proxies that took a new snapshot version because of this change. */
  changedProxies: string[];
  /** Every proxy's version once the change is in force. */
  versions: Record<string, string>;
  ms: number;
}

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

/**
 * Writes config files into the mesh's config directory (a `null` text deletes the file) and
 * resolves once the control plane holds exactly the resources they define and every proxy runs
 * (sent === acked) the snapshot computed from them, with at least one proxy on a new version
 * when the resources changed. A file with validation errors is refused before it is written:
 * the control plane would keep the old one in force, and nothing would ever be "in force".
 */
export async function applyConfigFiles(target: ConfigTarget, files: Record<string, string | null>, options: { timeoutMs?: number } = {}): Promise<AppliedConfig> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 15_000;
  const expected = new Map<string, unknown[] | null>();
  for (const [name, text] of Object.entries(files)) {
    if (text === null) {
      expected.set(name, null);
      continue;
    }
    const parsed = parseConfigFile(name, text);
    if (fileHasErrors(parsed.issues)) throw new Error(`${name} does not validate, so the control plane would keep the old one in force; fix the YAML:\n${formatIssues(parsed.issues)}`);
    expected.set(name, parsed.resources.map(withoutSource));
  }

  const configz = async () => (await target.readJson<ConfigzView>('/debug/configz')).body;
  const syncz = async () => (await target.readJson<SynczEntry[]>('/debug/syncz')).body;
  const before = await configz();
  const versionsBefore = new Map((await syncz()).map((s) => [s.proxy, s.acked]));
  const resourcesChanged = [...expected].some(([name, resources]) => !fileMatches(before, name, resources));

  for (const [name, text] of Object.entries(files)) {
    if (text === null) rmSync(join(target.configDir, name), { force: true });
    else target.writeConfig(name, text);
  }

  let lastConfig = before;
  await pollUntil(
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
  let nack: string | undefined;
  await pollUntil(
    'every proxy to ACK the snapshot of the new config',
    async () => {
      const entries = await syncz();
      last = await Promise.all(entries.map(async (e) => ({ ...e, wanted: await computedVersion(target, e.proxy) })));
      const nacked = last.find((e) => e.lastNack && e.lastNack.version === e.sent && e.sent === e.wanted && e.acked !== e.sent);
      if (nacked) {
        nack = `proxy ${nacked.proxy} rejected the new config (NACK): ${nacked.lastNack?.error}`;
        return true;
      }
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
  if (nack) throw new Error(nack);

  return {
    changedProxies: last.filter((e) => versionsBefore.get(e.proxy) !== e.acked).map((e) => e.proxy),
    versions: Object.fromEntries(last.map((e) => [e.proxy, e.acked])),
    ms: Date.now() - started,
  };
}

async function pollUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The version the control plane computes for a proxy from the config it holds now. */
async function computedVersion(target: ConfigTarget, proxy: string): Promise<string> {
  const res = await target.readJson<{ version: string }>(`/debug/snapshot?proxy=${encodeURIComponent(proxy)}`);
  if (res.status !== 200) throw new Error(`/debug/snapshot?proxy=${proxy} answered ${res.status}`);
  return res.body.version;
}

// The control plane names files relative to its working directory; callers know base names.
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
