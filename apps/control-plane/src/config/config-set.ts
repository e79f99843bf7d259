// The config in force, assembled from the files' (or Kubernetes objects') accepted resources.
// One resource (kind, namespace, name) may be defined by two files by mistake: the definition
// that came first stays in force and the other is reported at both places, so a second file can
// never silently replace a live VirtualService (90/10 became 50/50 that way). Pure.
import type { Loaded, ValidationIssue } from '@skiff/api';

export interface ConfigSet {
  resources: Loaded[];
  /** Validation errors and warnings of every file, then findings across files. */
  issues: ValidationIssue[];
  files: Array<{ file: string; resources: number; rejected: boolean; bytes?: number }>;
}

/** What one file (or object) contributes: its accepted resources and its own issues. */
export interface SourceState {
  file: string;
  resources: Loaded[];
  issues: ValidationIssue[];
  rejected: boolean;
  bytes?: number;
  /** Order of arrival: a lower number was in force first and wins a duplicate. */
  seq: number;
}

export function resourceKey(r: Loaded): string {
  return `${r.kind} ${r.metadata.namespace}/${r.metadata.name}`;
}

/** Files in path order for display; duplicates resolved by arrival order. */
export function assembleConfigSet(states: Iterable<SourceState>): ConfigSet {
  const byPath = [...states].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const owner = new Map<string, { state: SourceState; resource: Loaded }>();
  for (const state of [...byPath].sort((a, b) => a.seq - b.seq)) {
    for (const resource of state.resources) {
      const key = resourceKey(resource);
      if (!owner.has(key)) owner.set(key, { state, resource });
    }
  }
  const resources: Loaded[] = [];
  const issues: ValidationIssue[] = [];
  for (const state of byPath) {
    issues.push(...state.issues);
    for (const resource of state.resources) {
      const key = resourceKey(resource);
      const winner = owner.get(key) as { state: SourceState; resource: Loaded };
      if (winner.resource === resource) {
        resources.push(resource);
        continue;
      }
      const here = `${resource.source.file}:${resource.source.line}`;
      const there = `${winner.resource.source.file}:${winner.resource.source.line}`;
      issues.push({
        severity: 'warning',
        file: resource.source.file,
        line: resource.source.line,
        resource: key,
        field: 'metadata.name',
        message: `${key} is defined twice: here and in ${there}, which was in force first and stays; this definition is ignored. Remove one of them, or rename it`,
      });
      issues.push({
        severity: 'warning',
        file: winner.resource.source.file,
        line: winner.resource.source.line,
        resource: key,
        field: 'metadata.name',
        message: `${key} is also defined in ${here}; this definition stays in force and that one is ignored`,
      });
    }
  }
  return {
    resources,
    issues,
    files: byPath.map((s) => ({ file: s.file, resources: s.resources.length, rejected: s.rejected, ...(s.bytes !== undefined ? { bytes: s.bytes } : {}) })),
  };
}
