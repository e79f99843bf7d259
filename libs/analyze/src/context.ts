// What every check sees: the resources by kind (deduplicated as the control plane does), host
// resolution as Istio does it, the service registry when one is known, and one way to report.
import { formatFieldPath, isMeshKind, type DestinationRule, type Gateway, type Loaded, type MeshKind, type ValidationIssue, type VirtualService } from '@skiff/api';
import { resolveHost } from '@skiff/configgen';
import { CODES, type CodeName } from './codes.js';
import type { Locate } from './locate.js';

/** A service from a running control plane's registry. */
export interface KnownService {
  /** FQDN, e.g. "reviews.default.svc.cluster.local". */
  host: string;
  ports: number[];
  /** The labels of each workload of the service. */
  labels: Array<Record<string, string>>;
}

export interface AnalysisContext {
  virtualServices: readonly Loaded<VirtualService>[];
  destinationRules: readonly Loaded<DestinationRule>[];
  gateways: readonly Loaded<Gateway>[];
  /** By FQDN; undefined when no registry was given, and then no check may guess at services. */
  services: ReadonlyMap<string, KnownService> | undefined;
  /**
   * Kinds of which at least one document failed validation. A check that reports something as
   * missing (a subset, a gateway, a binding) skips when the failed document may be the one that
   * provides it: the per-file error already tells the user what to fix first.
   */
  incomplete: ReadonlySet<MeshKind>;
  /** A host as written in a resource in `namespace`, resolved the way configgen resolves it. */
  resolve(host: string, namespace: string): string;
  report(name: CodeName, resource: Loaded, path: readonly PropertyKey[], message: string): void;
}

export function resourceKey(r: Loaded): string {
  return `${r.metadata.namespace}/${r.metadata.name}`;
}

/** How issues name a resource; the same label the per-file validation uses. */
export function resourceLabel(r: Loaded): string {
  return `${r.kind} ${resourceKey(r)}`;
}

/** The kinds whose documents had errors. A document whose kind is unknown could be any of them. */
export function incompleteKinds(issues: readonly ValidationIssue[]): Set<MeshKind> {
  const kinds = new Set<MeshKind>();
  for (const issue of issues) {
    if (issue.severity !== 'error') continue;
    const kind = issue.resource.split(' ')[0];
    if (isMeshKind(kind)) kinds.add(kind);
    else for (const k of ['VirtualService', 'DestinationRule', 'Gateway'] as const) kinds.add(k);
  }
  return kinds;
}

export function createContext(
  input: { resources: readonly Loaded[]; issues: readonly ValidationIssue[]; services?: readonly KnownService[] },
  locate: Locate,
  out: ValidationIssue[],
): AnalysisContext {
  const report: AnalysisContext['report'] = (name, resource, path, message) => {
    const { code, severity } = CODES[name];
    out.push({ severity, file: resource.source.file, line: locate(resource, path), resource: resourceLabel(resource), field: formatFieldPath(path), message: `[${code}] ${message}` });
  };
  const resources = withoutDuplicates(input.resources, (first, dup) =>
    report(
      'DuplicateResource',
      dup,
      ['metadata', 'name'],
      `${resourceLabel(dup)} is also defined in ${first.source.file}:${first.source.line}, which is used; this one is ignored. Rename or remove one.`,
    ),
  );
  const knownNamespaces = new Set([...resources.map((r) => r.metadata.namespace), ...(input.services ?? []).map((s) => s.host.split('.')[1] ?? '')]);
  return {
    virtualServices: resources.filter((r): r is Loaded<VirtualService> => r.kind === 'VirtualService'),
    destinationRules: resources.filter((r): r is Loaded<DestinationRule> => r.kind === 'DestinationRule'),
    gateways: resources.filter((r): r is Loaded<Gateway> => r.kind === 'Gateway'),
    services: input.services ? new Map(input.services.map((s) => [s.host.toLowerCase(), s])) : undefined,
    incomplete: incompleteKinds(input.issues),
    resolve: (host, namespace) => resolveHost(host, namespace, knownNamespaces),
    report,
  };
}

/**
 * Keeps the first of each kind/namespace/name, in input order (files in path order, as the
 * control plane reads them), and sorts the rest by namespace/name: configgen's order, in which
 * the first of two conflicting resources wins.
 */
function withoutDuplicates(resources: readonly Loaded[], onDuplicate: (first: Loaded, dup: Loaded) => void): Loaded[] {
  const seen = new Map<string, Loaded>();
  for (const r of resources) {
    const key = `${r.kind}\n${resourceKey(r)}`;
    const first = seen.get(key);
    if (first) onDuplicate(first, r);
    else seen.set(key, r);
  }
  return [...seen.values()].sort((a, b) => compare(a.metadata.namespace, b.metadata.namespace) || compare(a.metadata.name, b.metadata.name));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
