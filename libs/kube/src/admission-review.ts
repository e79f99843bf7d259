// The admission.k8s.io/v1 AdmissionReview envelope, as the API server sends it to a mutating
// webhook: checked field by field so that a misconfigured MutatingWebhookConfiguration (wrong
// version, wrong resource, wrong operation) gets an error naming what was wrong.

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

/** What the webhook answers: the same envelope with a response for the request's uid. */
export interface AdmissionReview {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

export interface AdmissionResponse {
  uid: string;
  /** Always true: injection never blocks a pod; what it skips is said in warnings or the log. */
  allowed: true;
  patchType?: 'JSONPatch';
  /** base64 of an RFC 6902 JSON patch. */
  patch?: string;
  /** Shown by kubectl to whoever created the pod (keep each under 256 characters). */
  warnings?: string[];
}

/** The request or its envelope is not something this webhook handles; the HTTP layer answers 400. */
export class BadAdmissionReview extends Error {
  override readonly name = 'BadAdmissionReview';
}

/** The parts of a Pod CREATE request the webhook uses. */
export interface PodCreateRequest {
  uid: string;
  namespace: string;
  /** The pod's name, or its generateName followed by "*" (the API server names it after admission). */
  podName: string;
  pod: Record<string, unknown>;
}

type Obj = Record<string, unknown>;
const isObject = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);
const describe = (value: unknown): string => (value === undefined ? 'missing' : JSON.stringify(value));
const nonEmpty = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

function checkEnvelope(review: unknown): Obj {
  if (!isObject(review)) throw new BadAdmissionReview(`expected an AdmissionReview object, got ${Array.isArray(review) ? 'an array' : typeof review}`);
  if (review['apiVersion'] !== ADMISSION_API_VERSION) {
    throw new BadAdmissionReview(
      `apiVersion is ${describe(review['apiVersion'])}; this webhook speaks ${ADMISSION_API_VERSION} only (set admissionReviewVersions: ["v1"] in the MutatingWebhookConfiguration)`,
    );
  }
  if (review['kind'] !== 'AdmissionReview') throw new BadAdmissionReview(`kind is ${describe(review['kind'])}, expected "AdmissionReview"`);
  const request = review['request'];
  if (!isObject(request)) throw new BadAdmissionReview('the AdmissionReview has no request object');
  return request;
}

/** Reads a Pod CREATE out of an AdmissionReview; throws BadAdmissionReview for anything else. */
export function parsePodCreate(review: unknown): PodCreateRequest {
  const request = checkEnvelope(review);
  const uid = nonEmpty(request['uid']);
  if (!uid) throw new BadAdmissionReview('request.uid is missing; the response must echo it');
  const kind = isObject(request['kind']) ? request['kind'] : {};
  if (kind['group'] !== '' || kind['version'] !== 'v1' || kind['kind'] !== 'Pod') {
    const seen = `${nonEmpty(kind['group']) ?? 'core'}/${String(kind['version'])} ${String(kind['kind'])}`;
    throw new BadAdmissionReview(`request.kind is ${seen}; this webhook injects core/v1 Pods only (rules: resources ["pods"])`);
  }
  if (nonEmpty(request['subResource'])) throw new BadAdmissionReview(`request.subResource is "${String(request['subResource'])}"; this webhook handles the pod itself, not its subresources`);
  if (request['operation'] !== 'CREATE') throw new BadAdmissionReview(`request.operation is ${describe(request['operation'])}; this webhook handles CREATE only (rules: operations ["CREATE"])`);
  const pod = request['object'];
  if (!isObject(pod)) throw new BadAdmissionReview('request.object is missing: it should hold the Pod being created');
  const metadata = isObject(pod['metadata']) ? pod['metadata'] : {};
  const namespace = nonEmpty(request['namespace']) ?? nonEmpty(metadata['namespace']) ?? 'default';
  const generated = nonEmpty(metadata['generateName']);
  const podName = nonEmpty(metadata['name']) ?? nonEmpty(request['name']) ?? (generated ? `${generated}*` : '(unnamed)');
  return { uid, namespace, podName, pod };
}
