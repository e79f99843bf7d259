// Computes each proxy's snapshot from the config in force and the registry, and names it by
// its content: the same content always has the same version, so a proxy that reconnects with
// the version the control plane would send gets no push at all.
import { createHash } from 'node:crypto';
import type { Loaded, WorkloadInfo } from '@skiff/api';
import { buildSnapshot } from '@skiff/configgen';

export interface ComputedSnapshot {
  version: string;
  json: string;
  warnings: string[];
}

export function computeSnapshot(resources: Loaded[], workloads: WorkloadInfo[], proxy: WorkloadInfo): ComputedSnapshot {
  const unversioned = buildSnapshot({ resources, workloads, proxy, version: '' });
  const body = JSON.stringify(unversioned.snapshot);
  const version = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { version, json: JSON.stringify({ ...unversioned.snapshot, version }), warnings: unversioned.warnings };
}
