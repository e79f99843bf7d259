// Keeps the registry on disk, so that a restarted control plane (kill -9 included) pushes the
// same endpoints it pushed before, while its proxies reconnect. Written after each change (at
// most every 200 ms), atomically (a temporary file renamed over the old), readable by the
// control plane's user only. A missing or unreadable file means an empty registry, said once.
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { WorkloadInfo } from '@skiff/api';
import type { Logger } from '@skiff/telemetry';
import type { WorkloadRegistry } from './registry.js';

interface SavedRegistry {
  savedAt: string;
  workloads: WorkloadInfo[];
}

export function loadSavedRegistry(file: string, logger: Logger): WorkloadInfo[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn({ file, error: String(error) }, 'registry: cannot read the saved registry; starting empty');
    return [];
  }
  try {
    const saved = JSON.parse(text) as SavedRegistry;
    if (!Array.isArray(saved.workloads)) throw new Error('no "workloads" list');
    const valid = saved.workloads.filter((w) => typeof w?.id === 'string' && typeof w.address === 'string' && Number.isInteger(w.inboundPort) && (w.kind === 'sidecar' || w.kind === 'gateway'));
    logger.info({ file, workloads: valid.length, savedAt: saved.savedAt }, 'registry: restored the endpoints of the previous run until their proxies reconnect');
    return valid;
  } catch (error) {
    logger.warn({ file, error: String(error) }, 'registry: the saved registry is not readable; starting empty');
    return [];
  }
}

/** Saves the registry's live workloads whenever it changes. Returns a function that stops saving. */
export function saveRegistryOnChange(registry: WorkloadRegistry, file: string, logger: Logger): () => void {
  let timer: NodeJS.Timeout | undefined;
  let failedOnce = false;
  const save = () => {
    timer = undefined;
    try {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      const temp = `${file}.${process.pid}.tmp`;
      writeFileSync(temp, JSON.stringify({ savedAt: new Date().toISOString(), workloads: registry.live() } satisfies SavedRegistry), { mode: 0o600 });
      chmodSync(temp, 0o600);
      renameSync(temp, file);
    } catch (error) {
      if (!failedOnce) logger.warn({ file, error: String(error) }, 'registry: cannot save the registry; a restart will wait for proxies to reconnect instead (--registry-file)');
      failedOnce = true;
    }
  };
  registry.onChange(() => {
    timer ??= setTimeout(save, 200);
  });
  return () => {
    if (timer) {
      clearTimeout(timer);
      save();
    }
  };
}
