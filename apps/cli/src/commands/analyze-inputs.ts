// What `skiff analyze` reads: config files (a file as given, a directory recursively) and,
// optionally, the service registry of a running control plane.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { WorkloadInfo } from '@skiff/api';

const CONFIG_FILE = /\.(ya?ml|json)$/i;

/** A problem with what the user asked for (exit code 2), as opposed to a problem in the config. */
export class UsageError extends Error {}

export interface ConfigFile {
  /** As issues name it: relative to the working directory, like the control plane does. */
  name: string;
  text: string;
}

export interface ConfigInput {
  files: ConfigFile[];
  /** The paths as given, directories with a trailing "/": what the summary says was analyzed. */
  labels: string[];
}

/** Reads every config file under `paths`, each once, in path order. */
export async function readConfigFiles(paths: readonly string[]): Promise<ConfigInput> {
  const found = new Set<string>();
  const labels: string[] = [];
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      throw new UsageError(`cannot read ${path}: ${describeFsError(error)}; pass -f <file|dir> with your Istio YAML (default: ./config)`);
    }
    labels.push(info.isDirectory() && !path.endsWith('/') ? `${path}/` : path);
    if (!info.isDirectory()) found.add(path);
    else {
      const files = await listConfigFiles(path);
      if (files.length === 0) throw new UsageError(`no *.yaml, *.yml or *.json files in ${path}; pass -f <file|dir> with your Istio YAML`);
      for (const f of files) found.add(f);
    }
  }
  const files: ConfigFile[] = [];
  for (const path of [...found].sort()) {
    try {
      files.push({ name: relative(process.cwd(), path) || path, text: await readFile(path, 'utf8') });
    } catch (error) {
      throw new UsageError(`cannot read ${path}: ${describeFsError(error)}`);
    }
  }
  return { files, labels };
}

async function listConfigFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listConfigFiles(path)));
    else if (CONFIG_FILE.test(entry.name)) out.push(path);
  }
  return out;
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}

/** GET <controlPlane>/debug/registryz: the workloads whose proxies are connected. */
export async function fetchRegistry(controlPlane: string, timeoutMs = 3000): Promise<WorkloadInfo[]> {
  const url = new URL('/debug/registryz', controlPlane).toString();
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
    throw new Error(`cannot reach the control plane at ${url} (${why})`);
  }
  if (!response.ok) throw new Error(`${url} answered ${response.status}; is ${controlPlane} a Skiff control plane's monitoring port?`);
  const body: unknown = await response.json().catch(() => undefined);
  if (!Array.isArray(body) || !body.every(isWorkload)) throw new Error(`${url} did not return a list of workloads; is ${controlPlane} a Skiff control plane's monitoring port?`);
  return body;
}

function isWorkload(v: unknown): v is WorkloadInfo {
  if (typeof v !== 'object' || v === null) return false;
  const w = v as Record<string, unknown>;
  return (
    typeof w['service'] === 'string' &&
    typeof w['namespace'] === 'string' &&
    (w['kind'] === 'sidecar' || w['kind'] === 'gateway') &&
    typeof w['servicePort'] === 'number' &&
    typeof w['labels'] === 'object' &&
    w['labels'] !== null
  );
}
