// The pure half of the sidecar-injection webhook (istiod's /inject): an AdmissionReview for a
// Pod CREATE in, the AdmissionReview response out, with a JSON patch that turns the pod into
// exactly what `skiff inject` makes of it. Pod creation is never blocked: a pod that cannot be
// injected is admitted as it is, with a warning for whoever created it.
import jsonpatch, { type Operation } from 'fast-json-patch';
import { ADMISSION_API_VERSION, parsePodCreate, type AdmissionResponse, type AdmissionReview } from './admission-review.js';
import { injectPodObject, NotInjectable, type InjectOptions } from './inject.js';

/** Namespaces istiod never injects, whatever their labels: the cluster's own machinery. */
export const IGNORED_NAMESPACES: ReadonlySet<string> = new Set(['kube-system', 'kube-public', 'kube-node-lease']);

export interface AdmissionDecision {
  review: AdmissionReview;
  namespace: string;
  /** The pod's name, or its generateName followed by "*". */
  podName: string;
  injected: boolean;
  /** One line for the log: what was done, or why not. */
  reason: string;
  /** The patch sent (base64) in review.response.patch; empty when not injected. */
  patch: Operation[];
}

function answer(uid: string, extra: Omit<AdmissionResponse, 'uid' | 'allowed'> = {}): AdmissionReview {
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response: { uid, allowed: true, ...extra } };
}

/** Decides on one AdmissionReview; throws BadAdmissionReview when it is not a Pod CREATE in admission.k8s.io/v1. */
export function admitPod(review: unknown, options: InjectOptions): AdmissionDecision {
  const { uid, namespace, podName, pod } = parsePodCreate(review);
  const base = { namespace, podName, injected: false, patch: [] };
  const skip = (reason: string): AdmissionDecision => ({ ...base, review: answer(uid), reason });
  if (IGNORED_NAMESPACES.has(namespace)) return skip(`skipped (namespace ${namespace} is never injected)`);
  const name = `Pod ${namespace}/${podName}`;
  let result: ReturnType<typeof injectPodObject>;
  try {
    result = injectPodObject(pod, name, options);
  } catch (error) {
    if (!(error instanceof NotInjectable)) throw error;
    // Blocking the pod would break the user's rollout for a missing label; warn instead.
    return { ...base, review: answer(uid, { warnings: [`skiff: sidecar not injected: ${error.message}`] }), reason: `not injected: ${error.message}` };
  }
  const reason = result.report.startsWith(`${name}: `) ? result.report.slice(name.length + 2) : result.report;
  if (!result.injected) return skip(reason);
  const patch = jsonpatch.compare(pod, result.pod);
  const encoded = Buffer.from(JSON.stringify(patch)).toString('base64');
  return { ...base, injected: true, patch, reason, review: answer(uid, { patchType: 'JSONPatch', patch: encoded }) };
}

/** The AdmissionReview response for a Pod CREATE review (see admitPod). */
export function reviewAdmission(review: unknown, options: InjectOptions): AdmissionReview {
  return admitPod(review, options).review;
}
