// Which security policies reach a workload, the way istiod selects them: policies in the root
// namespace (istio-system) apply mesh-wide, policies in the workload's own namespace apply to it,
// and a selector narrows either to the workloads carrying all of its labels.
import type { Loaded, WorkloadInfo, WorkloadSelector } from '@skiff/api';

/** The workload a policy is computed for: only its namespace and labels matter. */
export type PolicySubject = Pick<WorkloadInfo, 'namespace' | 'labels'>;

/** True when the selector has at least one label (Istio treats `selector: {}` as no selector). */
export function hasSelectorLabels(selector: WorkloadSelector | undefined): boolean {
  return Object.keys(selector?.matchLabels ?? {}).length > 0;
}

export function selectorMatches(selector: WorkloadSelector | undefined, labels: Readonly<Record<string, string>>): boolean {
  return Object.entries(selector?.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
}

/** Policies in the root namespace or the workload's namespace whose selector (if any) matches. */
export function policiesInScope<R extends Loaded & { spec: { selector?: WorkloadSelector } }>(policies: readonly R[], subject: PolicySubject, rootNamespace: string): R[] {
  return policies.filter((p) => (p.metadata.namespace === rootNamespace || p.metadata.namespace === subject.namespace) && selectorMatches(p.spec.selector, subject.labels));
}

/** A policy that selects through targetRef(s) binds to Gateway API objects, which Skiff has not. */
export function usesTargetRefs(spec: { targetRef?: unknown; targetRefs?: unknown[] }): boolean {
  return spec.targetRef !== undefined || (spec.targetRefs?.length ?? 0) > 0;
}
