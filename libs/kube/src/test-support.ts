// What the k8s/ tests share: the repository as a TreeReader, Kubernetes' own schemas
// (kubernetes-models) for built-in kinds, and the generated CRDs' schemas (ajv) for the Istio
// kinds, applied as the API server does with kubectl's default strict field validation.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1';
import { MutatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Namespace, Service, ServiceAccount } from 'kubernetes-models/v1';
import type { KubeObject, TreeReader } from './kustomize.js';
import type { JsonSchema } from './structural.js';

export type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const REPO = fileURLToPath(new URL('../../..', import.meta.url));

export const repoTree: TreeReader = {
  readFile: (path) => {
    const full = join(REPO, path);
    return existsSync(full) && statSync(full).isFile() ? readFileSync(full, 'utf8') : undefined;
  },
  isDirectory: (path) => existsSync(join(REPO, path)) && statSync(join(REPO, path)).isDirectory(),
};

type Model = new (data: Obj) => { validate(): void };
// The models' constructors each want their own shape; here they all take parsed YAML.
const MODELS = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'apps/v1/Deployment': Deployment,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'admissionregistration.k8s.io/v1/MutatingWebhookConfiguration': MutatingWebhookConfiguration,
  'apiextensions.k8s.io/v1/CustomResourceDefinition': CustomResourceDefinition,
} as unknown as Record<string, Model>;

/** The kubernetes-models class for a built-in kind, or undefined (a custom resource, or a kind to add above). */
export function modelFor(o: Pick<KubeObject, 'apiVersion' | 'kind'>): Model | undefined {
  return MODELS[`${o.apiVersion}/${o.kind}`];
}

/** Validates a built-in kind with the Kubernetes OpenAPI schemas; throws what is wrong. */
export function validateBuiltin(o: Obj): void {
  const Model = modelFor(o as KubeObject);
  if (!Model) throw new Error(`no Kubernetes schema for ${String(o['apiVersion'])} ${String(o['kind'])} (add it to test-support.ts)`);
  new Model(o).validate();
}

const K8S_KEYWORDS = ['preserve-unknown-fields', 'int-or-string', 'list-type', 'list-map-keys', 'map-type', 'embedded-resource', 'validations'];

/**
 * The schema as ajv should apply it to mimic the API server: objects without
 * x-kubernetes-preserve-unknown-fields refuse unknown fields (kubectl's default
 * --validate=strict; without it they would be pruned silently), and the root allows the
 * fields every object has.
 */
function asApiServer(node: JsonSchema, root = true): JsonSchema {
  const out: JsonSchema = { ...node };
  const map = (v: unknown) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? asApiServer(v as JsonSchema, false) : v);
  if (out['properties']) {
    out['properties'] = Object.fromEntries(Object.entries(out['properties'] as JsonSchema).map(([k, v]) => [k, map(v)]));
    if (root) Object.assign(out['properties'] as JsonSchema, { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' } });
    if (out['x-kubernetes-preserve-unknown-fields'] !== true) out['additionalProperties'] = false;
  }
  for (const key of ['items', 'additionalProperties', 'not']) if (typeof out[key] === 'object') out[key] = map(out[key]);
  for (const key of ['anyOf', 'oneOf', 'allOf']) if (Array.isArray(out[key])) out[key] = (out[key] as unknown[]).map(map);
  return out;
}

/** Validators for every served version of the given CRDs, by "group/version/Kind". */
export function customResourceValidators(crds: readonly Obj[]): Map<string, ValidateFunction> {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  for (const name of K8S_KEYWORDS) ajv.addKeyword({ keyword: `x-kubernetes-${name}` });
  const out = new Map<string, ValidateFunction>();
  for (const crd of crds) {
    for (const version of crd['spec']['versions'] as Obj[]) {
      out.set(`${crd['spec']['group']}/${version['name']}/${crd['spec']['names']['kind']}`, ajv.compile(asApiServer(version['schema']['openAPIV3Schema'])));
    }
  }
  return out;
}

/** Why `resource` would be refused by the API server with these CRDs ([] when it would not). */
export function customResourceErrors(validators: Map<string, ValidateFunction>, resource: Obj): string[] {
  const validate = validators.get(`${resource['apiVersion']}/${resource['kind']}`);
  if (!validate) return [`no CRD serves ${resource['apiVersion']} ${resource['kind']}`];
  if (validate(resource)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params['additionalProperty'] ? `: ${e.params['additionalProperty']}` : ''}`);
}
