// Pieces shared by the security.istio.io schemas: their API versions and envelope, workload
// selectors, Gateway API target references and the selector/targetRef exclusivity Istio checks.
import { z } from 'zod';
import { isRecord, istioObject, labelMap, ObjectMetaSchema } from '../common.js';

export const SECURITY_API_GROUP = 'security.istio.io';
export const SECURITY_API_VERSIONS = ['security.istio.io/v1', 'security.istio.io/v1beta1'] as const;

/** apiVersion + kind + metadata + spec for the security.istio.io kinds. */
export function securityResourceSchema<K extends string, S extends z.ZodType>(kind: K, spec: S) {
  return istioObject({
    apiVersion: z.enum(SECURITY_API_VERSIONS),
    kind: z.literal(kind),
    metadata: ObjectMetaSchema,
    spec,
  });
}

export const WorkloadSelectorSchema = istioObject({ matchLabels: labelMap().optional() });

export const PolicyTargetReferenceSchema = istioObject({
  group: z.string().optional(),
  kind: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
});

/** A list of non-empty strings (Istio: "empty value not allowed"). */
export const nonEmptyStrings = () => z.array(z.string().min(1));

/** Istio: "only one of targetRefs or workloadSelector can be set". */
export function checkOneSelectorKind(spec: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const set = (['selector', 'targetRef', 'targetRefs'] as const).filter((k) => spec[k] !== undefined);
  if (set.length > 1) ctx.addIssue({ code: 'custom', path: [set[1] as string], message: `set only one of selector, targetRef or targetRefs, not ${set.join(' and ')}` });
}

/** True when a selector is present but selects by no label (Istio warns: it then selects every workload). */
export function isEmptySelector(selector: unknown): boolean {
  if (!isRecord(selector)) return false;
  const labels = selector['matchLabels'];
  return !isRecord(labels) || Object.keys(labels).length === 0;
}
