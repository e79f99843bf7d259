// The CustomResourceDefinitions for the Istio kinds Skiff reads, generated from Skiff's own zod
// schemas so that what the API server accepts and what the control plane accepts cannot drift.
// Same groups, plural and short names, categories and printer columns as Istio's CRDs: YAML
// written for one works with the other (and so the two must not share a cluster).
//
// What a CRD schema cannot say: zod refinements and custom checks (weights summing to 100, a
// route or a redirect, host and regex syntax, label keys, unknown-field suggestions...) have no
// JSON Schema form and are dropped here. The API server checks types, required fields, enums
// and bounds; the control plane's validation is the real gate, and it reports the rest on the
// object's status (condition Accepted=False) and keeps the last good config in force.
import { z } from 'zod';
import { API_VERSIONS, isUnknownFieldParams, MESH_KINDS, SCHEMA_BY_KIND, SECURITY_API_VERSIONS } from '@skiff/api';
import { toStructural, type JsonSchema } from './structural.js';

export type MeshKind = (typeof MESH_KINDS)[number];

interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description: string;
}

export interface MeshResourceNames {
  group: string;
  plural: string;
  shortName: string;
  /** Served versions, storage version (v1) first; all share one schema, as in Istio. */
  versions: readonly string[];
  columns: readonly PrinterColumn[];
}

const AGE: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
};
const versionsOf = (apiVersions: readonly string[]) => apiVersions.map((v) => v.slice(v.indexOf('/') + 1));
const NETWORKING = { group: 'networking.istio.io', versions: versionsOf(API_VERSIONS) };
const SECURITY = { group: 'security.istio.io', versions: versionsOf(SECURITY_API_VERSIONS) };

/** Istio's names for each kind (`kubectl get vs` works on both). */
export const MESH_RESOURCES: Record<MeshKind, MeshResourceNames> = {
  VirtualService: {
    ...NETWORKING,
    plural: 'virtualservices',
    shortName: 'vs',
    columns: [
      { name: 'Gateways', type: 'string', jsonPath: '.spec.gateways', description: 'The names of gateways and sidecars that should apply these routes' },
      { name: 'Hosts', type: 'string', jsonPath: '.spec.hosts', description: 'The destination hosts to which traffic is being sent' },
      AGE,
    ],
  },
  DestinationRule: {
    ...NETWORKING,
    plural: 'destinationrules',
    shortName: 'dr',
    columns: [{ name: 'Host', type: 'string', jsonPath: '.spec.host', description: 'The name of a service from the service registry' }, AGE],
  },
  Gateway: { ...NETWORKING, plural: 'gateways', shortName: 'gw', columns: [] },
  ServiceEntry: {
    ...NETWORKING,
    plural: 'serviceentries',
    shortName: 'se',
    columns: [
      { name: 'Hosts', type: 'string', jsonPath: '.spec.hosts', description: 'The hosts associated with the ServiceEntry' },
      { name: 'Location', type: 'string', jsonPath: '.spec.location', description: 'Whether the service is external to the mesh or part of the mesh (MESH_EXTERNAL or MESH_INTERNAL)' },
      { name: 'Resolution', type: 'string', jsonPath: '.spec.resolution', description: 'Service resolution mode for the hosts (NONE, STATIC, or DNS)' },
      AGE,
    ],
  },
  PeerAuthentication: {
    ...SECURITY,
    plural: 'peerauthentications',
    shortName: 'pa',
    columns: [{ name: 'Mode', type: 'string', jsonPath: '.spec.mtls.mode', description: 'Defines the mTLS mode used for peer authentication.' }, AGE],
  },
  AuthorizationPolicy: {
    ...SECURITY,
    plural: 'authorizationpolicies',
    shortName: 'ap',
    columns: [{ name: 'Action', type: 'string', jsonPath: '.spec.action', description: 'The operation to take.' }, AGE],
  },
  RequestAuthentication: { ...SECURITY, plural: 'requestauthentications', shortName: 'ra', columns: [] },
};

const PRESERVE = 'x-kubernetes-preserve-unknown-fields';

/**
 * Istio fields Skiff does not implement (istioObject's second argument) are kept as "any
 * value" instead of being pruned, so the control plane still sees them and warns. zod's
 * catchall holds that list: parsing any value with it yields an issue that carries it.
 */
function addUnsupportedFields(ctx: { zodSchema: unknown; jsonSchema: JsonSchema }): void {
  const def = (ctx.zodSchema as { _zod?: { def?: { type?: string; catchall?: z.ZodType } } })._zod?.def;
  if (def?.type !== 'object' || !def.catchall) return;
  const result = def.catchall.safeParse(true);
  const params = result.success ? undefined : (result.error.issues[0] as { params?: unknown } | undefined)?.params;
  if (!isUnknownFieldParams(params) || params.unsupported.length === 0) return;
  const properties = (ctx.jsonSchema['properties'] ??= {}) as JsonSchema;
  for (const field of params.unsupported) {
    properties[field] ??= { description: 'An Istio field Skiff does not implement: kept, ignored, and reported as a warning.', [PRESERVE]: true };
  }
}

/** The structural openAPIV3Schema of a kind's spec, from its zod schema (input side: defaults optional). */
export function specSchema(kind: MeshKind): JsonSchema {
  const spec = SCHEMA_BY_KIND[kind].shape.spec;
  const json = z.toJSONSchema(spec, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any', override: addUnsupportedFields }) as JsonSchema;
  return toStructural(json);
}

/** Istio's status shape, loosely: the conditions the control plane writes, anything else kept. */
export const STATUS_SCHEMA: JsonSchema = {
  type: 'object',
  description: 'Written by the control plane (condition Accepted: whether the resource is in force, and why not).',
  [PRESERVE]: true,
  properties: {
    conditions: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
      items: {
        type: 'object',
        required: ['type', 'status'],
        properties: {
          type: { type: 'string', description: 'The condition, e.g. Accepted.' },
          status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
          reason: { type: 'string', description: 'A CamelCase word for programs.' },
          message: { type: 'string', description: 'What a human should know, e.g. which field is wrong and how to fix it.' },
          lastTransitionTime: { type: 'string', format: 'date-time' },
          observedGeneration: { type: 'integer', format: 'int64', description: 'The metadata.generation this condition is about.' },
        },
      },
    },
    observedGeneration: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
  },
};

export const CRD_LABELS = { 'app.kubernetes.io/part-of': 'skiff', 'app.kubernetes.io/component': 'crds' } as const;

/** The CustomResourceDefinition (apiextensions.k8s.io/v1) for one kind. */
export function customResourceDefinition(kind: MeshKind): Record<string, unknown> {
  const names = MESH_RESOURCES[kind];
  const schema: JsonSchema = {
    type: 'object',
    description: `Istio's ${kind} (${names.group}), as Skiff reads it.`,
    required: ['spec'],
    properties: { spec: specSchema(kind), status: STATUS_SCHEMA },
  };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${names.plural}.${names.group}`, labels: { ...CRD_LABELS } },
    spec: {
      group: names.group,
      scope: 'Namespaced',
      names: {
        kind,
        listKind: `${kind}List`,
        plural: names.plural,
        singular: kind.toLowerCase(),
        shortNames: [names.shortName],
        categories: ['istio-io', `${names.group.split('.')[0]}-istio-io`],
      },
      versions: names.versions.map((name) => ({
        name,
        served: true,
        storage: name === 'v1',
        subresources: { status: {} },
        ...(names.columns.length > 0 ? { additionalPrinterColumns: names.columns.map((c) => ({ ...c })) } : {}),
        schema: { openAPIV3Schema: structuredClone(schema) },
      })),
    },
  };
}

export function meshCustomResourceDefinitions(): Array<Record<string, unknown>> {
  return MESH_KINDS.map(customResourceDefinition);
}
