import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { structuralProblems, toStructural, type JsonSchema } from './structural.js';

const root = (spec: JsonSchema): JsonSchema => ({ type: 'object', properties: { spec } });
const problems = (spec: JsonSchema) => structuralProblems(root(spec));

describe('structuralProblems finds what the API server refuses', () => {
  test('a well-formed schema has none', () => {
    assert.deepEqual(
      problems({
        type: 'object',
        properties: {
          name: { type: 'string', pattern: '^[a-z]+$' },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
          extra: { 'x-kubernetes-preserve-unknown-fields': true },
          match: { type: 'object', properties: { exact: { type: 'string' }, prefix: { type: 'string' } }, oneOf: [{ required: ['exact'] }, { required: ['prefix'] }] },
        },
      }),
      [],
    );
  });

  const broken: Array<[string, JsonSchema, RegExp]> = [
    ['a field without a type', { type: 'object', properties: { weight: { minimum: 0 } } }, /^\.spec\.weight: no type/],
    ['an array item without a type', { type: 'array', items: { minLength: 1 } }, /^\.spec\[\*\]: no type/],
    ['a map value without a type', { type: 'object', additionalProperties: { minLength: 1 } }, /^\.spec\.\*: no type/],
    ['$ref', { type: 'object', properties: { a: { $ref: '#/$defs/a' } } }, /\.spec\.a: \$ref is not supported/],
    ['$defs', { type: 'object', $defs: { a: { type: 'string' } } }, /\$defs is not a Kubernetes schema keyword/],
    ['const', { type: 'string', const: 'x' }, /const is not a Kubernetes schema keyword \(use enum: \[value\]\)/],
    ['additionalProperties: false with properties', { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false }, /mutually exclusive/],
    ['a schema for additionalProperties with properties', { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } }, /mutually exclusive/],
    ['a type inside anyOf', { type: 'object', properties: { a: { type: 'string' } }, anyOf: [{ type: 'object' }] }, /anyOf\[0\]: type is not allowed inside anyOf/],
    ['a description inside oneOf', { type: 'string', oneOf: [{ description: 'x', enum: ['a'] }] }, /oneOf\[0\]: description is not allowed/],
    ['a field named only inside a junctor', { type: 'object', properties: { a: { type: 'string' } }, oneOf: [{ properties: { b: { minLength: 1 } } }] }, /oneOf\[0\]\.b: named inside a junctor but not in the schema's own properties/],
    ['type null', { type: 'null' }, /type "null" is not one of/],
    ['a list of types', { type: ['string', 'integer'] }, /type \["string","integer"\] is not one of/],
    ['uniqueItems', { type: 'array', items: { type: 'string' }, uniqueItems: true }, /uniqueItems cannot be true/],
    ['int-or-string with a type', { type: 'string', 'x-kubernetes-int-or-string': true }, /x-kubernetes-int-or-string must not have a type/],
    ['preserve-unknown-fields: false', { type: 'object', 'x-kubernetes-preserve-unknown-fields': false }, /must be true or absent/],
    ['a list map without required keys', { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'], items: { type: 'object', properties: { type: { type: 'string' } } } }, /list map key type must be required/],
    ['a pattern RE2 cannot compile', { type: 'string', pattern: '^(?!x)' }, /lookaround or backreferences/],
    ['items as a list', { type: 'array', items: [{ type: 'string' }] }, /items must be one schema/],
  ];
  for (const [what, spec, expected] of broken) {
    test(what, () => {
      const found = problems(spec);
      assert.ok(found.some((p) => expected.test(p)), `expected ${expected} in:\n${found.join('\n')}`);
    });
  }

  test('metadata may only restrict name and generateName', () => {
    const schema = { type: 'object', properties: { metadata: { type: 'object', properties: { labels: { type: 'object' } } } } };
    assert.deepEqual(structuralProblems(schema), ['.metadata: only metadata.name and metadata.generateName may be restricted']);
    assert.deepEqual(structuralProblems({ type: 'object', properties: { metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 63 } } } } }), []);
  });

  test('the root needs a type too', () => assert.match(structuralProblems({ properties: {} }).join('\n'), /\(root\): no type/));
});

describe('toStructural', () => {
  const convert = (schema: z.ZodType) => toStructural(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema);

  test('objects drop additionalProperties (pruning), maps keep typed values, safe-integer bounds go', () => {
    const out = convert(z.object({ a: z.int().min(0), m: z.record(z.string(), z.string()), any: z.unknown() }).catchall(z.unknown()));
    assert.deepEqual(out, {
      type: 'object',
      required: ['a', 'm', 'any'],
      properties: {
        a: { type: 'integer', minimum: 0 },
        m: { type: 'object', additionalProperties: { type: 'string' } },
        any: { 'x-kubernetes-preserve-unknown-fields': true },
      },
    });
    assert.deepEqual(structuralProblems(out), []);
  });

  test('const becomes enum; a union of literals one enum; int|string becomes int-or-string; nullable', () => {
    const out = convert(z.object({ c: z.literal('x'), e: z.union([z.literal('a'), z.literal('b')]), port: z.union([z.int(), z.string()]), n: z.string().nullable() }));
    const props = out['properties'] as Record<string, JsonSchema>;
    assert.deepEqual(props['c'], { type: 'string', enum: ['x'] });
    assert.deepEqual(props['e'], { type: 'string', enum: ['a', 'b'] });
    assert.deepEqual(props['port'], { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] });
    assert.deepEqual(props['n'], { type: 'string', nullable: true });
    assert.deepEqual(structuralProblems(out), []);
  });

  test('a union of objects becomes one object; which fields each requires stays as a value validation', () => {
    const out = convert(z.union([z.object({ exact: z.string() }), z.object({ prefix: z.string() })]));
    assert.deepEqual(out, { type: 'object', properties: { exact: { type: 'string' }, prefix: { type: 'string' } }, anyOf: [{ required: ['exact'] }, { required: ['prefix'] }] });
    assert.deepEqual(structuralProblems(out), []);
  });

  test('references are inlined, recursion ends in "anything", mixed unions keep unknown fields', () => {
    const Node: z.ZodType = z.lazy(() => z.object({ name: z.string(), children: z.array(Node).optional() }));
    const out = convert(z.object({ tree: Node, mixed: z.union([z.string(), z.array(z.string())]) }));
    assert.deepEqual(structuralProblems(out), []);
    assert.doesNotMatch(JSON.stringify(out), /\$ref|\$defs/);
    const props = out['properties'] as Record<string, JsonSchema>;
    assert.equal((props['mixed'] as JsonSchema)['x-kubernetes-preserve-unknown-fields'], true);
    const tree = props['tree'] as { properties: Record<string, JsonSchema> };
    assert.equal(tree.properties['name']?.['type'], 'string');
  });

  test('draft 2020-12 exclusive bounds become OpenAPI flags', () => {
    assert.deepEqual(convert(z.number().positive()), { type: 'number', minimum: 0, exclusiveMinimum: true });
  });
});
