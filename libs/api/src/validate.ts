// Validates one parsed document (from YAML, or an object from the Kubernetes API) against the
// schema for its kind and turns zod's issues into ValidationIssues a user can act on.
import type { z } from 'zod';
import type { Loaded, SourceRef, ValidationIssue } from './resources.js';
import { formatFieldPath } from './field-path.js';
import { issueMessage, MISSING_FIELD_MESSAGE } from './messages.js';
import { adviseResource, isMeshKind, isWorkloadKind, WORKLOAD_SCHEMA_BY_KIND, type LoadedWorkload, isUnknownFieldParams, MESH_KINDS, SCHEMA_BY_KIND, SECURITY_API_GROUP } from './schemas/index.js';
import { closest, didYouMean } from './suggest.js';
import { isMeshConfigMap, MESH_CONFIG_MAP, readMeshConfigMap } from './mesh-config.js';
import { DEFAULT_NAMESPACE } from './workload.js';

export const ISTIO_API_GROUP = 'networking.istio.io';
/** The Istio API groups whose kinds Skiff reads. */
const ISTIO_API_GROUPS = [ISTIO_API_GROUP, SECURITY_API_GROUP];

/** Istio kinds Skiff does not (yet) read; a typo check must not "correct" these. */
const OTHER_ISTIO_KINDS = [
  'Sidecar',
  'EnvoyFilter',
  'ProxyConfig',
  'Telemetry',
  'WasmPlugin',
];

/** Fields the Kubernetes API server writes; objects read back from it carry them. Dropped silently. */
const SERVER_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'ownerReferences',
  'finalizers',
  'generateName',
  'selfLink',
];

export const UNSUPPORTED_MESSAGE = 'not supported by Skiff, ignored';

export interface ValidateOptions {
  /** 1-based position of the document in its file; names documents that have no kind or name. */
  documentIndex?: number;
  /** The line of the value at `path`, when the caller has the source text (see load.ts). */
  locate?: (path: readonly PropertyKey[]) => number | undefined;
}

export interface ResourceResult {
  /** Set when the document is a valid mesh resource (warnings allowed, no errors). */
  resource?: Loaded;
  issues: ValidationIssue[];
  /** The document is not a Skiff mesh resource (e.g. a Service) and was skipped. */
  ignored: boolean;
  /** A valid WorkloadEntry or WorkloadGroup (ignored by the control plane; `skiff up` reads it). */
  workload?: LoadedWorkload;
  /** "VirtualService default/reviews" or "(document 2)": how issues name this document. */
  label: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function labelOf(doc: unknown, documentIndex: number | undefined): string {
  const where = documentIndex === undefined ? '(unnamed resource)' : `(document ${documentIndex})`;
  if (!isRecord(doc)) return where;
  const kind = typeof doc['kind'] === 'string' && doc['kind'] !== '' ? doc['kind'] : undefined;
  const meta = isRecord(doc['metadata']) ? doc['metadata'] : {};
  const name = typeof meta['name'] === 'string' && meta['name'] !== '' ? meta['name'] : undefined;
  const namespace = typeof meta['namespace'] === 'string' && meta['namespace'] !== '' ? meta['namespace'] : DEFAULT_NAMESPACE;
  if (kind === undefined) return name === undefined ? where : `${where} ${namespace}/${name}`;
  return name === undefined ? `${kind} ${where}` : `${kind} ${namespace}/${name}`;
}

/** A resource of another API group (Kubernetes Gateway API, apps/v1, ...), not a misspelled Istio one. */
function isForeignApiVersion(apiVersion: unknown): boolean {
  if (typeof apiVersion !== 'string' || !apiVersion.includes('/')) return false;
  const group = apiVersion.slice(0, apiVersion.indexOf('/'));
  return !ISTIO_API_GROUPS.includes(group) && closest(group, ISTIO_API_GROUPS) === undefined;
}

export function validateResource(doc: unknown, source: SourceRef, opts: ValidateOptions = {}): ResourceResult {
  const label = labelOf(doc, opts.documentIndex);
  const issue = (severity: ValidationIssue['severity'], path: readonly PropertyKey[], message: string): ValidationIssue => ({
    severity,
    file: source.file,
    line: opts.locate?.(path) ?? source.line,
    resource: label,
    field: formatFieldPath(path),
    message,
  });

  if (!isRecord(doc)) {
    return { issues: [issue('error', [], 'a document must be a mapping with apiVersion, kind, metadata and spec')], ignored: false, label };
  }
  const kind = doc['kind'];
  if (typeof kind !== 'string' || kind === '') {
    return { issues: [issue('error', ['kind'], `kind is missing; expected one of ${MESH_KINDS.join(', ')}`)], ignored: false, label };
  }
  if (isMeshConfigMap(doc)) {
    const { spec, problems, ignored } = readMeshConfigMap(withoutServerFields(doc));
    const issues = problems.map((p) => issue(p.severity, p.path, p.message));
    if (!spec) return { issues, ignored, label };
    const resource = { apiVersion: 'v1', kind: 'MeshConfig' as const, metadata: { ...MESH_CONFIG_MAP }, spec };
    return { resource: toLoaded(resource, source), issues, ignored: false, label };
  }
  if (isWorkloadKind(kind) && !isForeignApiVersion(doc['apiVersion'])) {
    // Read by `skiff up` (it starts a sidecar for each WorkloadEntry), not by the control plane.
    const { data, issues } = checkAgainst(WORKLOAD_SCHEMA_BY_KIND[kind], withoutServerFields(doc), issue);
    if (data === undefined) return { issues, ignored: false, label };
    if (kind === 'WorkloadGroup') issues.push(issue('warning', ['kind'], 'Skiff does not register workloads from a WorkloadGroup (auto-registration); declare each with a WorkloadEntry, or start it with "skiff run"'));
    return { workload: { ...(data as LoadedWorkload), source: { ...source } }, issues, ignored: true, label };
  }
  if (!isMeshKind(kind) || isForeignApiVersion(doc['apiVersion'])) {
    const typo = isForeignApiVersion(doc['apiVersion']) || OTHER_ISTIO_KINDS.includes(kind) ? undefined : closest(kind, MESH_KINDS);
    if (typo !== undefined) {
      return { issues: [issue('error', ['kind'], `unknown kind ${JSON.stringify(kind)}${didYouMean(kind, MESH_KINDS)}`)], ignored: false, label };
    }
    const apiVersion = typeof doc['apiVersion'] === 'string' ? ` (${doc['apiVersion']})` : '';
    return { issues: [issue('warning', ['kind'], `kind ${kind}${apiVersion} is not a Skiff mesh resource; ignored`)], ignored: true, label };
  }

  const { data, issues } = checkAgainst(SCHEMA_BY_KIND[kind], withoutServerFields(doc), issue);
  if (data === undefined) return { issues, ignored: false, label };
  // Valid documents can still carry advice: parts Skiff ignores, values that never match.
  const advice = adviseResource(data as Loaded).map((x) => issue('warning', x.path, x.message));
  return { resource: toLoaded(data, source), issues: [...issues, ...advice], ignored: false, label };
}

type IssueMaker = (severity: ValidationIssue['severity'], path: readonly PropertyKey[], message: string) => ValidationIssue;

/**
 * The document against its schema: the data when it holds (fields Skiff does not support are
 * warned about and dropped), else the errors, each with a "did you mean" where one helps.
 */
function checkAgainst(schema: z.ZodType, input: Record<string, unknown>, issue: IssueMaker): { data?: unknown; issues: ValidationIssue[] } {
  const first = schema.safeParse(input, { error: issueMessage });
  if (first.success) return { data: first.data, issues: [] };

  // "hots: unknown field; did you mean hosts?" already explains why hosts is missing.
  const suggestedPaths = new Set<string>();
  for (const zi of first.error.issues) {
    const params: unknown = zi.code === 'custom' ? zi.params : undefined;
    if (!isUnknownFieldParams(params)) continue;
    const hit = closest(String(zi.path[zi.path.length - 1]), [...params.known, ...params.unsupported]);
    if (hit !== undefined) suggestedPaths.add(formatFieldPath([...zi.path.slice(0, -1), hit]));
  }

  const issues: ValidationIssue[] = [];
  const ignoredPaths: PropertyKey[][] = [];
  for (const zi of first.error.issues) {
    if (zi.message.startsWith(MISSING_FIELD_MESSAGE) && suggestedPaths.has(formatFieldPath(zi.path))) continue;
    const params: unknown = zi.code === 'custom' ? zi.params : undefined;
    if (isUnknownFieldParams(params)) {
      const key = String(zi.path[zi.path.length - 1]);
      if (params.unsupported.includes(key)) {
        issues.push(issue('warning', zi.path, UNSUPPORTED_MESSAGE));
        ignoredPaths.push(zi.path);
      } else {
        const suggestion = didYouMean(key, [...params.known, ...params.unsupported]);
        issues.push(issue('error', zi.path, `unknown field${suggestion || `; expected one of: ${params.known.join(', ')}`}`));
      }
    } else {
      issues.push(issue('error', zi.path, zi.message));
    }
  }
  if (issues.some((i) => i.severity === 'error')) return { issues };

  // Only ignored Istio fields were found. zod returns no data when any issue was raised, so parse
  // again with those fields blanked (the schemas let undefined through) and drop them after.
  const blanked = structuredClone(input);
  for (const path of ignoredPaths) setAt(blanked, path, undefined);
  const second = schema.safeParse(blanked, { error: issueMessage });
  if (!second.success) {
    return { issues: [...issues, ...second.error.issues.map((zi) => issue('error', zi.path, zi.message))] };
  }
  for (const path of ignoredPaths) deleteAt(second.data, path);
  return { data: second.data, issues };
}

function withoutServerFields(doc: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(doc);
  delete copy['status'];
  const meta = copy['metadata'];
  if (isRecord(meta)) for (const key of SERVER_METADATA) delete meta[key];
  return copy;
}

function toLoaded(data: unknown, source: SourceRef): Loaded {
  return { ...(data as Loaded), source: { ...source } };
}

function parentOf(root: unknown, path: readonly PropertyKey[]): Record<PropertyKey, unknown> | undefined {
  let node: unknown = root;
  for (const seg of path.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[seg];
  }
  return typeof node === 'object' && node !== null ? (node as Record<PropertyKey, unknown>) : undefined;
}

function setAt(root: unknown, path: readonly PropertyKey[], value: unknown): void {
  const parent = parentOf(root, path);
  const key = path[path.length - 1];
  if (parent && key !== undefined) parent[key] = value;
}

function deleteAt(root: unknown, path: readonly PropertyKey[]): void {
  const parent = parentOf(root, path);
  const key = path[path.length - 1];
  if (parent && key !== undefined) delete parent[key];
}
