import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MESH_KINDS, validateResource } from '@skiff/api';
import { customResourceDefinition, MESH_RESOURCES, meshCustomResourceDefinitions } from './crds.js';
import { structuralProblems, type JsonSchema } from './structural.js';
import { customResourceErrors, customResourceValidators, validateBuiltin, type Obj } from './test-support.js';

const crds = meshCustomResourceDefinitions() as Obj[];
const validators = customResourceValidators(crds);

describe('the generated CRDs', () => {
  test('are valid CustomResourceDefinitions with structural schemas, for every served version', () => {
    assert.equal(crds.length, MESH_KINDS.length);
    for (const crd of crds) {
      validateBuiltin(crd);
      for (const version of crd['spec']['versions']) {
        assert.deepEqual(structuralProblems(version.schema.openAPIV3Schema), [], `${crd['metadata']['name']} ${version.name}`);
      }
    }
  });

  test("use Istio's groups, names, short names, categories and versions (v1 stored)", () => {
    const summary = crds.map((c) => {
      const { names, versions } = c['spec'];
      return [c['metadata']['name'], names.kind, names.shortNames.join(), names.categories.join(), versions.map((v: Obj) => `${v['name']}${v['storage'] ? '*' : ''}`).join()];
    });
    assert.deepEqual(summary, [
      ['virtualservices.networking.istio.io', 'VirtualService', 'vs', 'istio-io,networking-istio-io', 'v1*,v1beta1,v1alpha3'],
      ['destinationrules.networking.istio.io', 'DestinationRule', 'dr', 'istio-io,networking-istio-io', 'v1*,v1beta1,v1alpha3'],
      ['gateways.networking.istio.io', 'Gateway', 'gw', 'istio-io,networking-istio-io', 'v1*,v1beta1,v1alpha3'],
      ['serviceentries.networking.istio.io', 'ServiceEntry', 'se', 'istio-io,networking-istio-io', 'v1*,v1beta1,v1alpha3'],
      ['peerauthentications.security.istio.io', 'PeerAuthentication', 'pa', 'istio-io,security-istio-io', 'v1*,v1beta1'],
      ['authorizationpolicies.security.istio.io', 'AuthorizationPolicy', 'ap', 'istio-io,security-istio-io', 'v1*,v1beta1'],
      ['requestauthentications.security.istio.io', 'RequestAuthentication', 'ra', 'istio-io,security-istio-io', 'v1*,v1beta1'],
    ]);
    for (const c of crds) for (const v of c['spec']['versions']) assert.deepEqual(v.subresources, { status: {} }, 'the control plane writes status');
  });

  test('printer columns point at fields the schema has', () => {
    for (const kind of MESH_KINDS) {
      const version = (customResourceDefinition(kind) as Obj)['spec']['versions'][0];
      const columns: Obj[] = version.additionalPrinterColumns ?? [];
      assert.deepEqual(columns.map((c) => c['name']), MESH_RESOURCES[kind].columns.map((c) => c.name));
      for (const { jsonPath } of columns.filter((c) => c['name'] !== 'Age')) {
        let node: JsonSchema | undefined = version.schema.openAPIV3Schema;
        for (const field of jsonPath.split('.').slice(1)) node = (node?.['properties'] as Record<string, JsonSchema> | undefined)?.[field];
        assert.ok(node?.['type'], `${kind}: ${jsonPath} is not in the schema`);
      }
    }
    const vs = (customResourceDefinition('VirtualService') as Obj)['spec']['versions'][0].additionalPrinterColumns.map((c: Obj) => `${c['name']}=${c['jsonPath']}`);
    assert.deepEqual(vs, ['Gateways=.spec.gateways', 'Hosts=.spec.hosts', 'Age=.metadata.creationTimestamp']);
  });

  test('status has conditions as the control plane writes them, and keeps anything else', () => {
    const status = crds[0]?.['spec']['versions'][0].schema.openAPIV3Schema.properties.status;
    assert.equal(status['x-kubernetes-preserve-unknown-fields'], true);
    assert.deepEqual(Object.keys(status.properties.conditions.items.properties), ['type', 'status', 'reason', 'message', 'lastTransitionTime', 'observedGeneration']);
    const vs = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'r' }, spec: { hosts: ['r'] } };
    const condition = { type: 'Accepted', status: 'False', reason: 'Invalid', message: 'spec.http[0]: weights sum to 90', lastTransitionTime: '2025-01-01T00:00:00Z', observedGeneration: 3 };
    assert.deepEqual(customResourceErrors(validators, { ...vs, status: { conditions: [condition], validationMessages: [] } }), []);
    assert.match(customResourceErrors(validators, { ...vs, status: { conditions: [{ ...condition, status: 'Maybe' }] } }).join(), /conditions\/0\/status must be equal to one of the allowed values/);
  });
});

describe('what the API server accepts with these CRDs', () => {
  const vs = (http: unknown) => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'reviews' }, spec: { hosts: ['reviews'], http } });
  const route = (weight: unknown) => [{ route: [{ destination: { host: 'reviews', subset: 'v1' }, weight }, { destination: { host: 'reviews', subset: 'v2' }, weight: 50 }] }];

  test('a valid VirtualService passes, at every served version', () => {
    for (const version of ['v1', 'v1beta1', 'v1alpha3']) assert.deepEqual(customResourceErrors(validators, { ...vs(route(50)), apiVersion: `networking.istio.io/${version}` }), []);
  });

  test('a weight of "fifty" is refused, at the field', () => {
    assert.deepEqual(customResourceErrors(validators, vs(route('fifty'))), ['/spec/http/0/route/0/weight must be integer']);
  });

  test('a misspelled field is refused (kubectl --validate=strict, its default), an Istio field Skiff ignores is kept', () => {
    assert.deepEqual(customResourceErrors(validators, vs([{ rout: [] }])), ['/spec/http/0 must NOT have additional properties: rout']);
    assert.deepEqual(customResourceErrors(validators, vs([{ route: [{ destination: { host: 'reviews' } }], corsPolicy: { allowOrigins: [{ exact: 'x' }] } }])), []);
  });

  test('enums and bounds from the zod schemas hold; refinements are left to the control plane', () => {
    const pa = (mode: string) => ({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default' }, spec: { mtls: { mode } } });
    assert.deepEqual(customResourceErrors(validators, pa('STRICT')), []);
    assert.match(customResourceErrors(validators, pa('STRICTLY')).join(), /mtls\/mode must be equal to one of the allowed values/);
    assert.match(customResourceErrors(validators, vs(route(150))).join(), /weight must be <= 100/);
    // Weights summing to 70 pass the API server; Skiff's validation refuses them (on the status).
    const sum70 = vs(route(20));
    assert.deepEqual(customResourceErrors(validators, sum70), []);
    assert.match(validateResource(sum70, { file: 'k8s', line: 1 }).issues.map((i) => i.message).join(), /weights sum to 70/);
  });
});
