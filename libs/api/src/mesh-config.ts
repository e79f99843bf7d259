// Istio's mesh-wide settings (MeshConfig) as istiod reads them: YAML in the `mesh` key of the
// ConfigMap `istio` in the root namespace `istio-system` (istio/istio pkg/config/mesh: the
// ConfigMap's data["mesh"] is read with ApplyMeshConfigDefaults). A file in the config directory
// holding that ConfigMap changes them live, as `kubectl edit configmap istio -n istio-system`
// does in Istio. Skiff reads outboundTrafficPolicy.mode; every other MeshConfig field is
// accepted with a warning that it is ignored, since Istio's users paste whole mesh configs.
import { isMap, parseDocument } from 'yaml';
import type { MeshConfigSpec } from './resources.js';
import { isRecord } from './schemas/common.js';
import { closest, didYouMean } from './suggest.js';

export const MESH_CONFIG_MAP = { name: 'istio', namespace: 'istio-system' } as const;
const MODES = ['ALLOW_ANY', 'REGISTRY_ONLY'] as const;
/** The mesh YAML is a few lines in practice; a bigger one is a mistake or an attack. */
const MAX_MESH_YAML = 64 * 1024;

export interface MeshConfigProblem {
  severity: 'error' | 'warning';
  /** Below the ConfigMap: ['data', 'mesh', 'outboundTrafficPolicy', 'mode']. */
  path: PropertyKey[];
  message: string;
}

/** A document that is Istio's mesh ConfigMap by kind and name (its namespace is checked by readMeshConfigMap). */
export function isMeshConfigMap(doc: Record<string, unknown>): boolean {
  const meta = doc['metadata'];
  return doc['kind'] === 'ConfigMap' && doc['apiVersion'] === 'v1' && isRecord(meta) && meta['name'] === MESH_CONFIG_MAP.name;
}

/** The settings in the ConfigMap, and what is wrong with it; spec is undefined when anything is an error. */
export function readMeshConfigMap(doc: Record<string, unknown>): { spec?: MeshConfigSpec; problems: MeshConfigProblem[]; ignored: boolean } {
  const meta = doc['metadata'] as Record<string, unknown>;
  const namespace = meta['namespace'];
  if (namespace !== MESH_CONFIG_MAP.namespace) {
    const where = typeof namespace === 'string' ? `namespace ${namespace}` : 'no namespace';
    return { problems: [{ severity: 'warning', path: ['metadata', 'namespace'], message: `a ConfigMap named istio in ${where}: the mesh config is read from the ConfigMap istio in istio-system only (Istio's root namespace); ignored` }], ignored: true };
  }
  const problems: MeshConfigProblem[] = [];
  const data = doc['data'];
  if (data === undefined) return { spec: {}, problems, ignored: false };
  if (!isRecord(data)) return { problems: [{ severity: 'error', path: ['data'], message: 'data must be a mapping of keys to strings (the mesh config is the string under data.mesh)' }], ignored: false };
  for (const key of Object.keys(data)) {
    if (key !== 'mesh') problems.push({ severity: 'warning', path: ['data', key], message: `data.${key}: not read by Skiff (it reads data.mesh); ignored` });
  }
  const text = data['mesh'];
  if (text === undefined) return { spec: {}, problems, ignored: false };
  if (typeof text !== 'string') return { problems: [...problems, { severity: 'error', path: ['data', 'mesh'], message: 'data.mesh must be a string holding the mesh config as YAML (write "mesh: |" and indent the YAML below it)' }], ignored: false };
  if (text.length > MAX_MESH_YAML) return { problems: [...problems, { severity: 'error', path: ['data', 'mesh'], message: `data.mesh is ${text.length} characters; the most Skiff reads is ${MAX_MESH_YAML}` }], ignored: false };
  const parsed = parseDocument(text);
  if (parsed.errors.length > 0) {
    return { problems: [...problems, { severity: 'error', path: ['data', 'mesh'], message: `data.mesh is not valid YAML: ${(parsed.errors[0]?.message ?? '').split('\n')[0]}` }], ignored: false };
  }
  if (parsed.contents !== null && !isMap(parsed.contents)) return { problems: [...problems, { severity: 'error', path: ['data', 'mesh'], message: 'data.mesh must be a YAML mapping of MeshConfig fields (e.g. outboundTrafficPolicy:)' }], ignored: false };
  let mesh: Record<string, unknown>;
  try {
    mesh = (parsed.contents === null ? {} : parsed.toJS({ maxAliasCount: 0 })) as Record<string, unknown>; // no aliases: no "billion laughs"
  } catch (error) {
    return { problems: [...problems, { severity: 'error', path: ['data', 'mesh'], message: `data.mesh: ${error instanceof Error ? error.message : String(error)}` }], ignored: false };
  }
  const spec: MeshConfigSpec = {};
  const at = (...path: string[]): PropertyKey[] => ['data', 'mesh', ...path];
  for (const [key, value] of Object.entries(mesh)) {
    if (key === 'outboundTrafficPolicy') {
      const mode = isRecord(value) ? value['mode'] : undefined;
      if (!isRecord(value)) problems.push({ severity: 'error', path: at(key), message: 'outboundTrafficPolicy must be a mapping with mode: ALLOW_ANY or REGISTRY_ONLY' });
      else if (mode === undefined) spec.outboundTrafficPolicy = { mode: 'ALLOW_ANY' }; // Istio's default for an empty policy
      else if (typeof mode === 'string' && (MODES as readonly string[]).includes(mode)) spec.outboundTrafficPolicy = { mode: mode as (typeof MODES)[number] };
      else problems.push({ severity: 'error', path: at(key, 'mode'), message: `outboundTrafficPolicy.mode must be ALLOW_ANY or REGISTRY_ONLY, got ${JSON.stringify(mode)}${typeof mode === 'string' ? didYouMean(mode, MODES) : ''}` });
      if (isRecord(value)) for (const other of Object.keys(value).filter((k) => k !== 'mode')) problems.push({ severity: 'warning', path: at(key, other), message: `outboundTrafficPolicy.${other}: not supported by Skiff, ignored` });
    } else if (closest(key, ['outboundTrafficPolicy']) !== undefined) {
      problems.push({ severity: 'error', path: at(key), message: `unknown MeshConfig field ${JSON.stringify(key)}${didYouMean(key, ['outboundTrafficPolicy'])}` });
    } else {
      problems.push({ severity: 'warning', path: at(key), message: `MeshConfig ${key}: not supported by Skiff, ignored` });
    }
  }
  return problems.some((p) => p.severity === 'error') ? { problems, ignored: false } : { spec, problems, ignored: false };
}
