// Reads what a running proxy reports on its admin port: /config_dump (node, discovery status,
// bound listeners, the snapshot in force) and /clusters (per-endpoint runtime state).
import { ProxySnapshotSchema, type ProxySnapshot, type WorkloadInfo } from '@skiff/api';
import { getJson } from '../http-json.js';

export interface ConfigDump {
  node: WorkloadInfo;
  xds: Record<string, unknown>;
  /** Listener name -> bound port, e.g. { outbound: 15101, inbound: 15106, admin: 15100 }. */
  listeners: Record<string, number>;
  /** Null until the proxy has received its first config. */
  snapshot: ProxySnapshot | null;
}

interface RawDump {
  node?: WorkloadInfo;
  xds?: Record<string, unknown>;
  listeners?: Record<string, number>;
  snapshot?: unknown;
}

export async function fetchConfigDump(admin: string): Promise<ConfigDump> {
  const raw = await getJson<RawDump>(`${admin}/config_dump`);
  if (!raw.node || typeof raw.listeners !== 'object') throw new Error(`${admin}/config_dump is not a Skiff proxy's config dump (no node or listeners); is --admin pointing at a proxy admin port?`);
  let snapshot: ProxySnapshot | null = null;
  if (raw.snapshot !== null && raw.snapshot !== undefined) {
    const parsed = ProxySnapshotSchema.safeParse(raw.snapshot);
    if (!parsed.success) throw new Error(`${admin}/config_dump has a snapshot this CLI cannot read (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}); are the CLI and the proxy the same version?`);
    snapshot = parsed.data;
  }
  return { node: raw.node, xds: raw.xds ?? {}, listeners: raw.listeners ?? {}, snapshot };
}

/** One endpoint's runtime state by cluster and "address:port". */
export type EndpointHealth = Map<string, 'HEALTHY' | 'EJECTED' | 'UNHEALTHY'>;

interface RawClusterStatus {
  name?: string;
  endpoints?: Array<Record<string, unknown>>;
}

/**
 * Health per endpoint from /clusters. The admin port reports endpoints there; outlier
 * detection marks an ejected host with `ejected: true` (or a `health` / `healthy` field), and an
 * endpoint without such a field is healthy. A proxy whose /clusters fails gives an empty map.
 */
export async function fetchEndpointHealth(admin: string): Promise<EndpointHealth> {
  const health: EndpointHealth = new Map();
  let clusters: RawClusterStatus[];
  try {
    clusters = await getJson<RawClusterStatus[]>(`${admin}/clusters`);
  } catch {
    return health;
  }
  if (!Array.isArray(clusters)) return health;
  for (const c of clusters) {
    for (const e of c.endpoints ?? []) {
      if (typeof c.name !== 'string' || typeof e['address'] !== 'string') continue;
      health.set(`${c.name} ${e['address']}`, endpointStatus(e));
    }
  }
  return health;
}

export function endpointStatus(e: Record<string, unknown>): 'HEALTHY' | 'EJECTED' | 'UNHEALTHY' {
  const health = typeof e['health'] === 'string' ? e['health'].toUpperCase() : '';
  if (e['ejected'] === true || health.includes('EJECT') || health.includes('OUTLIER')) return 'EJECTED';
  if (e['healthy'] === false || (health !== '' && health !== 'HEALTHY')) return 'UNHEALTHY';
  return 'HEALTHY';
}
