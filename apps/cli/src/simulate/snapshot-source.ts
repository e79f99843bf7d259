// Where `skiff simulate` gets the snapshot the source proxy routes with: from the running
// control plane (exactly what it would push to that proxy), or, with no mesh running, computed
// here from a config directory with the same configgen code for the sample workloads.
import { buildSnapshot } from '@skiff/configgen';
import { ProxySnapshotSchema, type Loaded, type ProxySnapshot, type SourceRef, type WorkloadInfo } from '@skiff/api';
import { getJson } from '../http-json.js';
import { localWorkloads, resolveWorkload } from '../local-mesh.js';
import { readConfigDir } from './offline-config.js';

export interface SnapshotSource {
  kind: 'control-plane' | 'offline';
  /** One line for the report, e.g. "control plane http://127.0.0.1:15014". */
  description: string;
  version: string;
  proxy: WorkloadInfo;
  /** True when --from was not given and a default caller was picked. */
  proxyDefaulted: boolean;
  snapshot: ProxySnapshot;
  warnings: string[];
  /** File and line of a VirtualService ("namespace/name"), when known. */
  locate(virtualService: string): SourceRef | undefined;
}

/** The caller when --from is not given: the sample's frontend if there is one, else the first sidecar. */
function pickProxy(from: string | undefined, workloads: readonly WorkloadInfo[]): { proxy: WorkloadInfo; defaulted: boolean } {
  if (from !== undefined) return { proxy: resolveWorkload(from, workloads), defaulted: false };
  const sidecars = workloads.filter((w) => w.kind === 'sidecar');
  const proxy = sidecars.find((w) => w.service === 'frontend') ?? sidecars[0];
  if (!proxy) return { proxy: resolveWorkload('frontend', workloads), defaulted: true }; // throws, listing what there is
  return { proxy, defaulted: true };
}

/** The proxy validates every push with this schema (filling defaults); so does the simulator. */
function parseSnapshot(value: unknown, where: string): ProxySnapshot {
  const result = ProxySnapshotSchema.safeParse(value);
  if (!result.success) {
    const first = result.error.issues[0];
    throw new Error(`the snapshot from ${where} is invalid at ${first?.path.join('.') || '(root)'}: ${first?.message ?? 'unknown error'}; the proxy would NACK it too`);
  }
  return result.data;
}

function locator(resources: ReadonlyArray<Pick<Loaded, 'kind' | 'metadata' | 'source'>>): (vs: string) => SourceRef | undefined {
  const byKey = new Map(resources.filter((r) => r.kind === 'VirtualService').map((r) => [`${r.metadata.namespace}/${r.metadata.name}`, r.source]));
  return (vs) => byKey.get(vs);
}

interface SnapshotAnswer {
  version: string;
  warnings?: string[];
  snapshot: unknown;
}

interface ConfigzAnswer {
  resources?: Array<Pick<Loaded, 'kind' | 'metadata' | 'source'>>;
}

export async function fromControlPlane(url: string, from: string | undefined): Promise<SnapshotSource> {
  const workloads = await getJson<WorkloadInfo[]>(`${url}/debug/registryz`);
  const { proxy, defaulted } = pickProxy(from, workloads);
  const answer = await getJson<SnapshotAnswer>(`${url}/debug/snapshot?proxy=${encodeURIComponent(proxy.id)}`);
  // Only for file:line of VirtualServices: the simulation does not need it, so a failure is not fatal.
  const configz = await getJson<ConfigzAnswer>(`${url}/debug/configz`).catch(() => ({ resources: [] }) as ConfigzAnswer);
  return {
    kind: 'control-plane',
    description: `control plane ${url}`,
    version: answer.version,
    proxy,
    proxyDefaulted: defaulted,
    snapshot: parseSnapshot(answer.snapshot, `${url}/debug/snapshot`),
    warnings: answer.warnings ?? [],
    locate: locator(configz.resources ?? []),
  };
}

export function fromConfigDir(dir: string, from: string | undefined, portOffset: number, why: string | undefined): SnapshotSource {
  const config = readConfigDir(dir);
  const workloads = localWorkloads(portOffset).map((w) => w.info);
  const { proxy, defaulted } = pickProxy(from, workloads);
  const version = 'offline';
  const built = buildSnapshot({ resources: config.resources, workloads, proxy, version });
  return {
    kind: 'offline',
    description: `offline: config ${dir} with the sample workloads${why ? ` (${why})` : ''}`,
    version,
    proxy,
    proxyDefaulted: defaulted,
    snapshot: parseSnapshot(built.snapshot, `config ${dir}`),
    warnings: [...config.warnings, ...built.warnings],
    locate: locator(config.resources),
  };
}
