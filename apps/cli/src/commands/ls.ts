// `skiff ls` (also `skiff proxy-status`): the mesh's workloads as the control plane sees them, with
// each proxy's sync state, like `istioctl proxy-status`.
import { parseArgs } from 'node:util';
import type { WorkloadInfo } from '@skiff/api';
import { meshStateDir, readMeshInfo } from '@skiff/launcher';
import { getJson, UnreachableError } from '../http-json.js';
import { controlPlaneUrlFlag, localControlPlaneUrl, parsePortOffset } from '../local-mesh.js';
import { formatTable } from '../table.js';
import { UsageError } from '../usage-error.js';

export const LS_HELP = `usage: skiff ls [options]        (also: skiff proxy-status)

Lists the mesh's workloads as its control plane sees them: the samples, the ones "skiff run"
joined, the gateway. SYNC is the proxy's state, as istioctl proxy-status shows it: SYNCED (it
acknowledged the last config sent), STALE (it has not yet), NACKED (it refused the last config;
it keeps its previous one), or - for a workload whose proxy is not connected.

  --control-plane <url>  the control plane's monitoring URL (default: the running mesh's, from
                         ./.skiff/mesh.json, else http://127.0.0.1:15014)
  --port-offset <n>      the mesh was started with "skiff up --port-offset <n>"
  --json                 print the rows as JSON
  -h, --help             this text`;

interface SyncEntry {
  proxy: string;
  kind: string;
  identity: string | null;
  sent: string;
  acked: string;
  synced: boolean;
  nacks: number;
  lastNack?: { version: string; error: string };
}

export interface WorkloadRow {
  workload: string;
  kind: string;
  service: string;
  version: string;
  namespace: string;
  identity: string;
  address: string;
  health: string;
  sync: 'SYNCED' | 'STALE' | 'NACKED' | '-';
  /** The config version the proxy acknowledged last. */
  version_acked: string;
}

function syncState(entry: SyncEntry | undefined): WorkloadRow['sync'] {
  if (!entry) return '-';
  if (entry.lastNack && entry.lastNack.version === entry.sent) return 'NACKED';
  return entry.synced ? 'SYNCED' : 'STALE';
}

export function workloadRows(registry: readonly WorkloadInfo[], sync: readonly SyncEntry[]): WorkloadRow[] {
  const byProxy = new Map(sync.map((s) => [s.proxy, s]));
  const rows = registry.map((w): WorkloadRow => {
    const entry = byProxy.get(w.id);
    return {
      workload: w.id,
      kind: w.kind,
      service: w.service,
      version: w.labels['version'] ?? '-',
      namespace: w.namespace,
      identity: entry?.identity ?? `${w.namespace}/${w.serviceAccount}`,
      address: w.kind === 'gateway' ? w.address : `${w.address}:${w.inboundPort}`,
      health: w.healthy === false ? 'UNHEALTHY' : 'healthy',
      sync: syncState(entry),
      version_acked: entry?.acked ?? '-',
    };
  });
  // A connected proxy the registry does not list (a gateway announces no endpoint) still shows.
  for (const s of sync) {
    if (registry.some((w) => w.id === s.proxy)) continue;
    rows.push({ workload: s.proxy, kind: s.kind, service: '-', version: '-', namespace: s.proxy.slice(s.proxy.indexOf('.') + 1), identity: s.identity ?? '-', address: '-', health: '-', sync: syncState(s), version_acked: s.acked });
  }
  return rows.sort((a, b) => a.workload.localeCompare(b.workload));
}

function controlPlaneUrl(explicit: string | undefined, offset: number): string {
  if (explicit !== undefined) return controlPlaneUrlFlag(explicit);
  const mesh = readMeshInfo(meshStateDir(offset));
  return mesh instanceof Error ? localControlPlaneUrl(offset) : mesh.monitoring;
}

export async function ls(argv: string[]): Promise<number> {
  let url: string;
  let json: boolean;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { 'control-plane': { type: 'string' }, 'port-offset': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      console.log(LS_HELP);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected "${positionals[0]}"; skiff ls takes no arguments`);
    url = controlPlaneUrl(values['control-plane'], parsePortOffset(values['port-offset']));
    json = values.json === true;
  } catch (error) {
    console.error(`skiff ls: ${(error as Error).message}`);
    return 2;
  }
  let registry: WorkloadInfo[];
  let sync: SyncEntry[];
  try {
    [registry, sync] = await Promise.all([getJson<WorkloadInfo[]>(`${url}/debug/registryz`), getJson<SyncEntry[]>(`${url}/debug/syncz`)]);
  } catch (error) {
    const hint = error instanceof UnreachableError ? '; is the mesh running? start it with "skiff up" (or pass --control-plane / --port-offset)' : '';
    console.error(`skiff ls: ${(error as Error).message}${hint}`);
    return 1;
  }
  const rows = workloadRows(registry, sync);
  if (json) {
    console.log(JSON.stringify(rows, null, 2));
    return 0;
  }
  if (rows.length === 0) {
    console.log('no workloads: no proxy is connected to the control plane yet');
    return 0;
  }
  console.log(formatTable(['WORKLOAD', 'KIND', 'SERVICE', 'VERSION', 'IDENTITY', 'ADDRESS', 'HEALTH', 'SYNC'], rows.map((r) => [r.workload, r.kind, r.service, r.version, r.identity, r.address, r.health, r.sync])));
  return 0;
}
