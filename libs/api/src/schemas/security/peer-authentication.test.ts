import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerAuthenticationSpec } from '../../security-resources.js';
import { assertOneError, assertValid, check, doc, summary } from '../../test-helpers.js';

const pa = (spec: unknown, metadata: unknown = { name: 'default', namespace: 'foo' }, apiVersion = 'security.istio.io/v1') => doc('PeerAuthentication', spec, metadata, apiVersion);

describe('PeerAuthentication', () => {
  test("Istio's reference examples: mesh, namespace and workload policies with port-level modes", () => {
    const specs: PeerAuthenticationSpec[] = [
      { mtls: { mode: 'STRICT' } },
      { mtls: { mode: 'PERMISSIVE' } },
      { selector: { matchLabels: { app: 'finance' } }, mtls: { mode: 'STRICT' } },
      { selector: { matchLabels: { app: 'finance' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { '8080': { mode: 'DISABLE' } } },
      { selector: { matchLabels: { app: 'finance' } }, mtls: { mode: 'UNSET' }, portLevelMtls: { '8080': { mode: 'DISABLE' } } },
      {},
    ];
    for (const spec of specs) {
      const r = check(pa(spec));
      assertValid(r);
      assert.deepEqual(r.resource?.spec, spec);
    }
  });

  test('v1beta1 is read too; a networking apiVersion is not', () => {
    assertValid(check(pa({ mtls: { mode: 'STRICT' } }, undefined, 'security.istio.io/v1beta1')));
    assertOneError(check(pa({}, undefined, 'networking.istio.io/v1')), 'apiVersion', 'security.istio.io/v1');
  });

  test('mode must be one of Istio\'s, with a suggestion', () => assertOneError(check(pa({ mtls: { mode: 'STRIC' } })), 'spec.mtls.mode', 'did you mean "STRICT"?'));

  test('portLevelMtls needs a selector (Istio: mesh/namespace policy cannot have port level mTLS)', () => {
    assertOneError(check(pa({ portLevelMtls: { '8080': { mode: 'DISABLE' } } })), 'spec.portLevelMtls', 'add a selector');
    assertOneError(check(pa({ selector: {}, portLevelMtls: { '8080': { mode: 'DISABLE' } } })), 'spec.portLevelMtls', 'add a selector');
  });

  test('port keys are numbers in 1..65535 and the map is not empty', () => {
    const sel = { matchLabels: { app: 'a' } };
    assertOneError(check(pa({ selector: sel, portLevelMtls: { '0': { mode: 'DISABLE' } } })), 'spec.portLevelMtls["0"]', '1..65535');
    assertOneError(check(pa({ selector: sel, portLevelMtls: { '70000': { mode: 'DISABLE' } } })), 'spec.portLevelMtls["70000"]', '1..65535');
    assertOneError(check(pa({ selector: sel, portLevelMtls: { http: { mode: 'DISABLE' } } })), 'spec.portLevelMtls.http', '1..65535');
    assertOneError(check(pa({ selector: sel, portLevelMtls: {} })), 'spec.portLevelMtls', 'at least one port');
  });

  test('misspelled fields get suggestions', () => {
    assertOneError(check(pa({ mtl: { mode: 'STRICT' } })), 'spec.mtl', 'did you mean "mtls"?');
    assertOneError(check(pa({ selector: { matchLabel: { app: 'a' } } })), 'spec.selector.matchLabel', 'did you mean "matchLabels"?');
  });

  test('selector labels must be valid label values (no wildcards)', () => assertOneError(check(pa({ selector: { matchLabels: { app: '*' } } })), 'spec.selector.matchLabels.app', 'label value "*" is invalid'));

  test('a selector without labels is a warning (it selects every workload)', () => {
    const r = check(pa({ selector: {}, mtls: { mode: 'STRICT' } }));
    assert.deepEqual(summary(r.issues), ['warning spec.selector: workload selector without labels: the policy applies to every workload in its scope']);
    assert.ok(r.resource);
  });
});
