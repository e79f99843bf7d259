import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateResource } from './validate.js';
import { check, doc, SOURCE, summary } from './test-helpers.js';

describe('validateResource', () => {
  test('fills the default namespace and keeps a given one', () => {
    assert.equal(check(doc('VirtualService', { hosts: ['r'] }, { name: 'r' })).resource?.metadata.namespace, 'default');
    assert.equal(check(doc('VirtualService', { hosts: ['r'] }, { name: 'r', namespace: 'prod' })).resource?.metadata.namespace, 'prod');
  });

  test('attaches the source and names the resource', () => {
    const r = validateResource(doc('DestinationRule', { host: 'r' }, { name: 'r', namespace: 'prod' }), { file: 'a.yaml', line: 7 });
    assert.deepEqual(r.resource?.source, { file: 'a.yaml', line: 7 });
    assert.equal(r.label, 'DestinationRule prod/r');
  });

  test('issues carry file, line, resource and field', () => {
    const r = validateResource(doc('VirtualService', { hosts: [] }), { file: 'a.yaml', line: 7 });
    assert.deepEqual(r.issues, [{ severity: 'error', file: 'a.yaml', line: 7, resource: 'VirtualService default/reviews', field: 'spec.hosts', message: 'must not be empty' }]);
  });

  test('uses the locator for lines, falling back to the document line', () => {
    const seen: string[] = [];
    const r = validateResource(doc('VirtualService', { hosts: [] }), SOURCE, {
      locate: (path) => {
        seen.push(path.join('.'));
        return path.join('.') === 'spec.hosts' ? 42 : undefined;
      },
    });
    assert.equal(r.issues[0]?.line, 42);
    assert.deepEqual(seen, ['spec.hosts']);
    const fallback = validateResource(doc('VirtualService', { hosts: [] }), { file: 'f', line: 3 }, { locate: () => undefined });
    assert.equal(fallback.issues[0]?.line, 3);
  });

  test('does not modify its input', () => {
    const input = doc('VirtualService', { hosts: ['r'], tcp: [] }, { name: 'r', uid: 'u' });
    const before = structuredClone(input);
    const r = check(input);
    assert.ok(r.resource);
    assert.deepEqual(input, before);
    assert.notEqual(r.resource.spec, input.spec);
  });

  test('fields the Kubernetes API server adds are dropped without a word', () => {
    const r = check({
      ...doc('VirtualService', { hosts: ['r'] }, { name: 'r', uid: 'abc', resourceVersion: '12', generation: 3, creationTimestamp: '2024-01-01T00:00:00Z', managedFields: [] }),
      status: { observedGeneration: 3 },
    });
    assert.deepEqual(r.issues, []);
    assert.deepEqual(r.resource?.metadata, { name: 'r', namespace: 'default' });
    assert.equal('status' in (r.resource ?? {}), false);
  });

  describe('documents that are not (valid) mesh resources', () => {
    test('not a mapping', () => {
      for (const value of [[1, 2], 'text', 5]) {
        const r = validateResource(value, SOURCE, { documentIndex: 2 });
        assert.deepEqual(summary(r.issues), ['error : a document must be a mapping with apiVersion, kind, metadata and spec']);
        assert.equal(r.label, '(document 2)');
      }
    });
    test('no kind', () => {
      const r = validateResource({ apiVersion: 'networking.istio.io/v1', metadata: { name: 'x' } }, SOURCE, { documentIndex: 3 });
      assert.deepEqual(summary(r.issues), ['error kind: kind is missing; expected one of VirtualService, DestinationRule, Gateway, ServiceEntry, PeerAuthentication, AuthorizationPolicy, RequestAuthentication']);
      assert.equal(r.label, '(document 3) default/x');
    });
    test('a misspelled kind is an error with a suggestion', () => {
      const r = check(doc('DestinationRul', { host: 'r' }));
      assert.deepEqual(summary(r.issues), ['error kind: unknown kind "DestinationRul"; did you mean "DestinationRule"?']);
      assert.equal(r.ignored, false);
    });
    test('other kinds are skipped with a warning', () => {
      for (const [apiVersion, kind] of [
        ['v1', 'Service'],
        ['apps/v1', 'Deployment'],
        ['telemetry.istio.io/v1', 'Telemetry'],
        ['networking.istio.io/v1', 'Sidecar'],
        ['gateway.networking.k8s.io/v1', 'Gateway'],
      ] as const) {
        const r = check({ apiVersion, kind, metadata: { name: 'x' }, spec: {} });
        assert.deepEqual(summary(r.issues), [`warning kind: kind ${kind} (${apiVersion}) is not a Skiff mesh resource; ignored`]);
        assert.equal(r.ignored, true);
        assert.equal(r.resource, undefined);
      }
    });
    test('the security.istio.io kinds are read, and a misspelled kind among them gets a suggestion', () => {
      const r = check(doc('PeerAuthentication', { mtls: { mode: 'STRICT' } }, { name: 'default', namespace: 'istio-system' }, 'security.istio.io/v1'));
      assert.deepEqual(r.issues, []);
      assert.equal(r.resource?.kind, 'PeerAuthentication');
      assert.equal(r.label, 'PeerAuthentication istio-system/default');
      assert.deepEqual(summary(check(doc('AuthorizationPolicie', {}, { name: 'a' }, 'security.istio.io/v1')).issues), ['error kind: unknown kind "AuthorizationPolicie"; did you mean "AuthorizationPolicy"?']);
      const typoGroup = check(doc('PeerAuthentication', {}, { name: 'a' }, 'securty.istio.io/v1'));
      assert.equal(typoGroup.ignored, false);
      assert.deepEqual(summary(typoGroup.issues).map((s) => s.split(':')[0]), ['error apiVersion']);
    });
    test('advice on a valid document comes with the resource, after ignored-field warnings', () => {
      const r = check(doc('RequestAuthentication', { selector: {}, jwtRules: [{ issuer: 'x', timeout: '1s' }] }, { name: 'a' }, 'security.istio.io/v1'));
      assert.deepEqual(summary(r.issues), [
        'warning spec.jwtRules[0].timeout: not supported by Skiff, ignored',
        'warning spec.selector: workload selector without labels: the policy applies to every workload in its scope',
      ]);
      assert.deepEqual(r.resource?.spec, { selector: {}, jwtRules: [{ issuer: 'x' }] });
    });
    test('a mesh kind with a misspelled Istio group is an error, not skipped', () => {
      const r = check(doc('VirtualService', { hosts: ['r'] }, { name: 'r' }, 'networking.isito.io/v1'));
      assert.equal(r.ignored, false);
      assert.deepEqual(summary(r.issues).map((s) => s.split(':')[0]), ['error apiVersion']);
    });
  });
});
