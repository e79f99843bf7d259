// What the control plane makes of one custom resource, and the status condition that tells the
// user so. Pure. Like a config file, an object is accepted or rejected as a whole, and a rejected
// update keeps the object's last good version in force (a bad `kubectl apply` never takes down
// routes that worked).
import { validateResource, type Loaded, type ValidationIssue } from '@skiff/api';
import type { KubeObject } from './reflector-state.js';

export interface ObjectVerdict {
  /** How issues and the dashboard name the object, e.g. "k8s://default/virtualservices/reviews". */
  source: string;
  /** The generation judged; status-only updates keep it, so they are not judged again. */
  generation: number;
  /** In force: this version's resource when valid, else the last good one (or none). */
  resources: Loaded[];
  issues: ValidationIssue[];
  rejected: boolean;
}

export interface Condition {
  type: 'Accepted';
  status: 'True' | 'False';
  reason: 'Valid' | 'ValidWithWarnings' | 'Invalid';
  message: string;
  observedGeneration: number;
  lastTransitionTime: string;
}

export const sourceOf = (plural: string, o: KubeObject) => `k8s://${o.metadata.namespace ?? 'default'}/${plural}/${o.metadata.name}`;

export function nextVerdict(previous: ObjectVerdict | undefined, object: KubeObject, source: string): ObjectVerdict {
  const generation = Number(object.metadata.generation ?? 0);
  if (previous && previous.generation === generation && generation !== 0) return previous;
  const { resource, issues } = validateResource(object, { file: source, line: 1 });
  const rejected = issues.some((i) => i.severity === 'error') || resource === undefined;
  return { source, generation, resources: rejected ? (previous?.resources ?? []) : [resource], issues, rejected };
}

export function acceptedCondition(verdict: ObjectVerdict, current: Partial<Condition> | undefined, now: Date): Condition {
  const errors = verdict.issues.filter((i) => i.severity === 'error');
  const warnings = verdict.issues.filter((i) => i.severity === 'warning');
  const describe = (list: ValidationIssue[]) => list.map((i) => `${i.field ? `${i.field}: ` : ''}${i.message}`).join('; ');
  const status = verdict.rejected ? 'False' : 'True';
  const condition: Omit<Condition, 'lastTransitionTime'> = verdict.rejected
    ? {
        type: 'Accepted',
        status,
        reason: 'Invalid',
        message: `${describe(errors)}; ${verdict.resources.length > 0 ? 'the last valid version stays in force' : 'nothing of it is in force'}`,
        observedGeneration: verdict.generation,
      }
    : { type: 'Accepted', status, reason: warnings.length > 0 ? 'ValidWithWarnings' : 'Valid', message: warnings.length > 0 ? describe(warnings) : 'in force', observedGeneration: verdict.generation };
  // Kubernetes convention: the transition time moves only when the status flips.
  const lastTransitionTime = current?.status === status && current.lastTransitionTime ? current.lastTransitionTime : now.toISOString();
  return { ...condition, lastTransitionTime };
}

/** The object's current Accepted condition, if any. */
export function currentCondition(object: KubeObject): Partial<Condition> | undefined {
  const conditions = (object['status'] as { conditions?: Array<Partial<Condition>> } | undefined)?.conditions;
  return Array.isArray(conditions) ? conditions.find((c) => c.type === 'Accepted') : undefined;
}

export function conditionDiffers(a: Partial<Condition> | undefined, b: Condition): boolean {
  return !a || a.status !== b.status || a.reason !== b.reason || a.message !== b.message || a.observedGeneration !== b.observedGeneration;
}
