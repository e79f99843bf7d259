// Computes each proxy's snapshot from the config in force and the registry, and names it by
// its content: the same content always has the same version, so a proxy that reconnects with
// the version the control plane would send gets no push at all. The shared work (services,
// policies per namespace) is prepared once per round of pushes, not once per proxy.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Loaded, WorkloadInfo } from '@skiff/api';
import { prepare, type PreparedConfig } from '@skiff/configgen';

export interface ComputedSnapshot {
  version: string;
  json: string;
  /** `json` gzip-compressed: what goes on the wire (see discovery.proto). */
  gzip: Buffer;
  warnings: string[];
}

export function prepareConfig(resources: Loaded[], workloads: WorkloadInfo[], trustDomain: string, outboundTrafficPolicy: 'ALLOW_ANY' | 'REGISTRY_ONLY' = 'ALLOW_ANY'): PreparedConfig {
  return prepare(resources, workloads, { trustDomain, outboundTrafficPolicy });
}

// A snapshot depends on the proxy only through its kind, namespace and labels (routes and
// clusters per namespace, policies and gateways by selector), and the replicas of a workload
// share all three: compute and serialize it once per such class and config, not once per proxy.
const byClass = new WeakMap<PreparedConfig, Map<string, ComputedSnapshot>>();

export function snapshotClass(proxy: WorkloadInfo): string {
  const labels = Object.keys(proxy.labels)
    .sort()
    .map((k) => `${k}=${proxy.labels[k]}`)
    .join('\u0001');
  return `${proxy.kind}\n${proxy.namespace}\n${labels}`;
}

export function computeSnapshot(prepared: PreparedConfig, proxy: WorkloadInfo): ComputedSnapshot {
  let cache = byClass.get(prepared);
  if (!cache) {
    cache = new Map();
    byClass.set(prepared, cache);
  }
  const key = snapshotClass(proxy);
  let computed = cache.get(key);
  if (!computed) {
    computed = computeUncached(prepared, proxy);
    cache.set(key, computed);
  }
  return computed;
}

function computeUncached(prepared: PreparedConfig, proxy: WorkloadInfo): ComputedSnapshot {
  const unversioned = prepared.snapshotFor(proxy, '');
  const body = JSON.stringify(unversioned.snapshot);
  const version = createHash('sha256').update(body).digest('hex').slice(0, 12);
  const json = JSON.stringify({ ...unversioned.snapshot, version });
  return { version, json, gzip: gzipSync(json, { level: 6 }), warnings: unversioned.warnings };
}
