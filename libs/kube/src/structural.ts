// Kubernetes' structural schemas: the subset of OpenAPI v3 a CustomResourceDefinition may use
// (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema
// and the API server's apiextensions validation). `toStructural` turns a JSON Schema (as zod
// writes it) into that subset; `structuralProblems` lists what would make the API server refuse
// a schema, so the generated CRDs are checked offline.

export type JsonSchema = { [keyword: string]: unknown };

const TYPES = ['object', 'array', 'string', 'integer', 'number', 'boolean'];
const JUNCTORS = ['allOf', 'anyOf', 'oneOf', 'not'] as const;
/** JSONSchemaProps fields (apiextensions.k8s.io/v1) that a CRD schema may use. */
const KEYWORDS = new Set([
  'description', 'type', 'format', 'title', 'default', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum',
  'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'multipleOf', 'enum', 'maxProperties', 'minProperties',
  'required', 'items', 'allOf', 'oneOf', 'anyOf', 'not', 'properties', 'additionalProperties', 'nullable', 'example', 'externalDocs',
]);
/** Fields JSONSchemaProps has but the API server forbids in a CRD, with its reason. */
const FORBIDDEN: Record<string, string> = {
  $ref: '$ref is not supported (inline the definition)',
  definitions: 'definitions is not supported (inline them)',
  id: 'id is not supported',
  additionalItems: 'additionalItems is not supported',
  patternProperties: 'patternProperties is not supported',
  dependencies: 'dependencies is not supported',
};
/** Inside allOf/anyOf/oneOf/not these would make a schema non-structural. */
const NOT_IN_JUNCTORS = ['description', 'type', 'default', 'additionalProperties', 'nullable'];
const INT_OR_STRING = 'x-kubernetes-int-or-string';
const PRESERVE = 'x-kubernetes-preserve-unknown-fields';
const SAFE = Number.MAX_SAFE_INTEGER;

const isSchema = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);
const anything = (why?: string): JsonSchema => ({ ...(why ? { description: why } : {}), [PRESERVE]: true });

/** Inlines `#/$defs/x` and `#/definitions/x` references; a recursive one becomes "anything". */
function resolve(node: JsonSchema, root: JsonSchema, seen: readonly string[]): [JsonSchema, readonly string[]] | undefined {
  const ref = node['$ref'];
  if (typeof ref !== 'string') return [node, seen];
  const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
  const defs = match ? root[match[1] as string] : undefined;
  const target = isSchema(defs) && match ? defs[match[2] as string] : undefined;
  if (!isSchema(target) || seen.includes(ref)) return undefined;
  const { $ref: _ref, ...rest } = node;
  return resolve({ ...target, ...rest }, root, [...seen, ref]);
}

function mergeAllOf(node: JsonSchema): JsonSchema {
  const parts = node['allOf'];
  if (!Array.isArray(parts)) return node;
  const { allOf: _allOf, ...merged } = node;
  for (const part of parts.filter(isSchema)) {
    for (const [key, value] of Object.entries(part)) {
      if (key === 'properties' && isSchema(value)) merged['properties'] = { ...(isSchema(merged['properties']) ? merged['properties'] : {}), ...value };
      else if (key === 'required' && Array.isArray(value)) merged['required'] = [...new Set([...((merged['required'] as string[] | undefined) ?? []), ...value])];
      else if (!(key in merged)) merged[key] = value;
    }
  }
  return merged;
}

/** anyOf/oneOf: typed branches cannot stay inside the junctor, so they are folded into one shape. */
function foldUnion(node: JsonSchema, key: 'anyOf' | 'oneOf', convert: (s: JsonSchema) => JsonSchema): JsonSchema {
  const { [key]: raw, ...rest } = node;
  const nullable = (raw as unknown[]).some((b) => isSchema(b) && b['type'] === 'null');
  const base: JsonSchema = Object.fromEntries(Object.entries(rest).filter(([k]) => KEYWORDS.has(k) || k.startsWith('x-kubernetes-')));
  if (nullable) base['nullable'] = true;
  const plain = (raw as unknown[]).filter(isSchema).filter((b) => b['type'] !== 'null');
  if (plain.length === 1) return convert({ ...base, ...plain[0] });
  const branches = plain.map(convert);
  const types = new Set(branches.map((b) => b['type']));
  const scalarTypes = [...types].sort().join(',');
  if (scalarTypes === 'integer,string' || scalarTypes === 'number,string') {
    const { type: _type, ...untyped } = base;
    return { ...untyped, [INT_OR_STRING]: true, anyOf: [{ type: 'integer' }, { type: 'string' }] };
  }
  if (types.size === 1 && types.has('string') && branches.every((b) => Array.isArray(b['enum']))) {
    return { ...base, type: 'string', enum: branches.flatMap((b) => b['enum'] as unknown[]) };
  }
  if (types.size === 1 && types.has('object') && branches.every((b) => isSchema(b['properties']))) {
    // One object with every branch's fields; which fields each branch requires stays a pure
    // value validation (no types inside the junctor), as Kubernetes allows.
    const properties: JsonSchema = {};
    for (const b of branches) for (const [k, v] of Object.entries(b['properties'] as JsonSchema)) properties[k] ??= v;
    const requireds = branches.map((b) => (b['required'] as string[] | undefined) ?? []);
    const common = requireds.reduce((acc, r) => acc.filter((k) => r.includes(k)));
    const out: JsonSchema = { ...base, type: 'object', properties, ...(common.length ? { required: common } : {}) };
    if (requireds.some((r) => r.length > common.length)) out[key] = requireds.map((r) => ({ required: r }));
    return out;
  }
  return anything('one of several shapes: checked by the control plane, not the API server');
}

/**
 * Converts a JSON Schema (draft 2020-12 or OpenAPI 3.0 flavour) into Kubernetes' structural
 * subset: references inlined, every node typed, `const` as `enum`, unions folded (int|string
 * becomes x-kubernetes-int-or-string), objects with properties lose additionalProperties (the
 * API server prunes unknown fields instead), open maps and untyped values keep unknown fields.
 */
export function toStructural(schema: JsonSchema, root: JsonSchema = schema, seen: readonly string[] = []): JsonSchema {
  const resolved = resolve(schema, root, seen);
  if (!resolved) return anything('recursive: checked by the control plane, not the API server');
  const [node0, seen1] = resolved;
  const convert = (s: JsonSchema) => toStructural(s, root, seen1);
  let node = mergeAllOf(node0);
  if (Array.isArray(node['type'])) {
    const types = (node['type'] as string[]).filter((t) => t !== 'null');
    node = { ...node, ...(types.length < (node['type'] as string[]).length ? { nullable: true } : {}), type: types.length === 1 ? types[0] : undefined };
    if (types.length > 1) node = { ...node, type: undefined, anyOf: types.map((t) => ({ type: t })) };
  }
  if ('const' in node) {
    const { const: value, ...rest } = node;
    node = { ...rest, enum: [value] };
  }
  for (const key of ['anyOf', 'oneOf'] as const) if (Array.isArray(node[key])) return foldUnion(node, key, convert);

  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (value === undefined) continue;
    if (key.startsWith('x-kubernetes-') || (KEYWORDS.has(key) && !['properties', 'items', 'additionalProperties', 'not'].includes(key))) out[key] = value;
  }
  // Draft 2020-12 writes exclusive bounds as numbers; OpenAPI 3.0 (and Kubernetes) as flags.
  for (const [bound, flag] of [['minimum', 'exclusiveMinimum'], ['maximum', 'exclusiveMaximum']] as const) {
    if (typeof node[flag] === 'number') Object.assign(out, { [bound]: node[flag], [flag]: true });
  }
  // zod's int() bounds are the safe-integer range; they say nothing to a reader.
  if (out['minimum'] === -SAFE) delete out['minimum'];
  if (out['maximum'] === SAFE) delete out['maximum'];

  if (out['type'] === 'object' || (out['type'] === undefined && (isSchema(node['properties']) || node['additionalProperties'] !== undefined))) {
    out['type'] = 'object';
    if (isSchema(node['properties']) && Object.keys(node['properties']).length > 0) {
      out['properties'] = Object.fromEntries(Object.entries(node['properties']).filter(([, v]) => isSchema(v)).map(([k, v]) => [k, convert(v as JsonSchema)]));
    } else if (isSchema(node['additionalProperties'])) {
      const values = node['additionalProperties'];
      out['additionalProperties'] = Object.keys(values).length === 0 ? anything() : convert(values);
    } else if (node['additionalProperties'] === true) {
      out['additionalProperties'] = anything();
    }
  } else if (out['type'] === 'array') {
    out['items'] = isSchema(node['items']) ? convert(node['items']) : anything();
  } else if (out['type'] === undefined && out[INT_OR_STRING] !== true && out[PRESERVE] !== true) {
    return { ...out, ...anything() };
  }
  return ordered(out);
}

/** type and description first: the generated YAML reads like hand-written CRDs. */
function ordered(node: JsonSchema): JsonSchema {
  const { type, description, ...rest } = node;
  return { ...(type !== undefined ? { type } : {}), ...(description !== undefined ? { description } : {}), ...rest };
}

// ---- the rules ------------------------------------------------------------------------------

const RE2_UNSUPPORTED = /\(\?[=!<]|\\[1-9]/;

function typeProblems(node: JsonSchema, at: string): string[] {
  const out: string[] = [];
  const type = node['type'];
  const exempt = node[INT_OR_STRING] === true || node[PRESERVE] === true;
  if (type === undefined || type === '') {
    if (!exempt) out.push(`${at}: no type (every field and array item needs one, unless it has ${INT_OR_STRING} or ${PRESERVE})`);
  } else if (typeof type !== 'string' || !TYPES.includes(type)) {
    out.push(`${at}: type ${JSON.stringify(type)} is not one of ${TYPES.join(', ')} (use nullable: true for null)`);
  }
  if (node[INT_OR_STRING] === true && type !== undefined) out.push(`${at}: ${INT_OR_STRING} must not have a type`);
  return out;
}

/** Rule: fields and items named inside a junctor must also be specified outside it. */
function junctorShapeProblems(branch: JsonSchema, outer: JsonSchema, at: string): string[] {
  const out: string[] = [];
  if (isSchema(branch['properties'])) {
    const outerProps = isSchema(outer['properties']) ? outer['properties'] : {};
    for (const [name, sub] of Object.entries(branch['properties'])) {
      const counterpart = outerProps[name];
      if (!isSchema(counterpart)) out.push(`${at}.${name}: named inside a junctor but not in the schema's own properties`);
      else if (isSchema(sub)) out.push(...junctorShapeProblems(sub, counterpart, `${at}.${name}`));
    }
  }
  if (isSchema(branch['items'])) {
    if (!isSchema(outer['items'])) out.push(`${at}[*]: items inside a junctor but not in the schema itself`);
    else out.push(...junctorShapeProblems(branch['items'], outer['items'], `${at}[*]`));
  }
  return out;
}

function isIntOrStringPattern(node: JsonSchema, junctor: string, branches: unknown[]): boolean {
  if (node[INT_OR_STRING] !== true) return false;
  if (junctor === 'anyOf') return branches.map((b) => (isSchema(b) ? b['type'] : undefined)).sort().join(',') === 'integer,string';
  const only = branches[0];
  return junctor === 'allOf' && branches.length === 1 && isSchema(only) && Array.isArray(only['anyOf']) && isIntOrStringPattern(node, 'anyOf', only['anyOf']);
}

function keywordProblems(node: JsonSchema, at: string): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (FORBIDDEN[key]) out.push(`${at}: ${FORBIDDEN[key]}`);
    else if (!KEYWORDS.has(key) && !key.startsWith('x-kubernetes-')) out.push(`${at}: ${key} is not a Kubernetes schema keyword${key === 'const' ? ' (use enum: [value])' : ''}`);
    if (key === 'uniqueItems' && value === true) out.push(`${at}: uniqueItems cannot be true (use x-kubernetes-list-type: set)`);
  }
  if (node[PRESERVE] === false) out.push(`${at}: ${PRESERVE} must be true or absent`);
  const props = node['properties'];
  const additional = node['additionalProperties'];
  if (isSchema(props) && Object.keys(props).length > 0 && (additional === false || isSchema(additional))) {
    out.push(`${at}: additionalProperties and properties are mutually exclusive (Kubernetes prunes unknown fields instead)`);
  }
  if (typeof node['pattern'] === 'string' && RE2_UNSUPPORTED.test(node['pattern'])) out.push(`${at}: pattern uses lookaround or backreferences, which the API server's RE2 cannot compile`);
  if (Array.isArray(node['items'])) out.push(`${at}: items must be one schema, not a list`);
  if (node['x-kubernetes-list-type'] === 'map') {
    const keys = node['x-kubernetes-list-map-keys'];
    const items = isSchema(node['items']) ? node['items'] : {};
    const required = Array.isArray(items['required']) ? items['required'] : [];
    if (!Array.isArray(keys) || keys.length === 0) out.push(`${at}: x-kubernetes-list-type map needs x-kubernetes-list-map-keys`);
    else for (const k of keys) if (!required.includes(k)) out.push(`${at}[*]: list map key ${String(k)} must be required`);
  }
  return out;
}

/** The specified sub-schemas of a node: its properties, map values and array items. */
function children(node: JsonSchema, at: string): Array<[unknown, string]> {
  const props = isSchema(node['properties']) ? Object.entries(node['properties']).map(([k, v]): [unknown, string] => [v, `${at}.${k}`]) : [];
  const additional: Array<[unknown, string]> = isSchema(node['additionalProperties']) ? [[node['additionalProperties'], `${at}.*`]] : [];
  const items: Array<[unknown, string]> = isSchema(node['items']) ? [[node['items'], `${at}[*]`]] : [];
  return [...props, ...additional, ...items];
}

function junctorProblems(node: JsonSchema, at: string): string[] {
  const out: string[] = [];
  for (const junctor of JUNCTORS) {
    const value = node[junctor];
    if (value === undefined) continue;
    const branches = junctor === 'not' ? [value] : Array.isArray(value) ? value : [];
    const allowTypes = isIntOrStringPattern(node, junctor, branches);
    branches.forEach((branch, i) => {
      const where = `${at}/${junctor}${junctor === 'not' ? '' : `[${i}]`}`;
      if (!isSchema(branch)) return void out.push(`${where}: not a schema`);
      for (const key of NOT_IN_JUNCTORS) {
        if (key in branch && !(allowTypes && key === 'type')) out.push(`${where}: ${key} is not allowed inside ${junctor} (a structural schema keeps types and descriptions outside junctors)`);
      }
      out.push(...junctorShapeProblems(branch, node, where), ...nodeProblems(branch, where, true));
    });
  }
  return out;
}

/** `inside`: under a junctor, where fields need no type (they are typed outside). */
function nodeProblems(node: JsonSchema, at: string, inside: boolean): string[] {
  const out = [...keywordProblems(node, at), ...junctorProblems(node, at)];
  for (const [sub, where] of children(node, at)) {
    if (!isSchema(sub)) out.push(`${where}: not a schema`);
    else out.push(...(inside ? [] : typeProblems(sub, where)), ...nodeProblems(sub, where, inside));
  }
  return out;
}

/**
 * What keeps `schema` (a CRD version's openAPIV3Schema) from being structural or from passing
 * the API server's CRD validation, one line per problem, each starting with where it is
 * (".spec.http[*].weight"). Empty when the schema is fine.
 */
export function structuralProblems(schema: JsonSchema): string[] {
  const out = [...typeProblems(schema, '(root)'), ...nodeProblems(schema, '', false)];
  const metadata = isSchema(schema['properties']) ? schema['properties']['metadata'] : undefined;
  if (isSchema(metadata)) {
    const fields = isSchema(metadata['properties']) ? Object.keys(metadata['properties']) : [];
    const extra = Object.keys(metadata).filter((k) => !['type', 'properties'].includes(k));
    if (extra.length > 0 || fields.some((f) => f !== 'name' && f !== 'generateName')) out.push('.metadata: only metadata.name and metadata.generateName may be restricted');
  }
  return [...new Set(out)];
}
