import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { lineOf, run, summary } from '../test-helpers.js';

const VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
    - match:
        - headers: { end-user: { exact: jason } }
      route:
        - destination: { host: reviews, subset: v1 }
    - route:
        - destination:
            host: reviews
            subset: v3
`;

const DR = (host: string, subsets: string[], namespace = 'default') => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
  namespace: ${namespace}
spec:
  host: "${host}"
  subsets:
${subsets.map((s) => `    - name: ${s}\n      labels: { version: ${s} }`).join('\n')}
`;

describe('IST0101 subset not defined', () => {
  test('names the file, the line and field of the subset, the host as an FQDN, and the defined subsets', () => {
    const { findings } = run({ 'vs.yaml': VS, 'dr.yaml': DR('reviews', ['v1', 'v2']) });
    assert.deepEqual(summary(findings), [
      `error vs.yaml:${lineOf(VS, 'subset: v3')} VirtualService default/reviews spec.http[1].route[0].destination.subset: ` +
        '[IST0101] subset "v3" is not defined by any DestinationRule for reviews.default.svc.cluster.local; requests routed to it get 503. ' +
        'Defined subsets: v1, v2; add "v3" to the DestinationRule or fix the name.',
    ]);
  });

  test('suggests a near miss', () => {
    const { findings } = run({ 'vs.yaml': VS.replace('subset: v3', 'subset: V2'), 'dr.yaml': DR('reviews', ['v1', 'v2']) });
    assert.equal(findings.length, 1);
    assert.match(findings[0]?.message ?? '', /Defined subsets: v1, v2; did you mean "v2"\?$/);
  });

  test('without any DestinationRule for the host, says to add one', () => {
    const { findings } = run({ 'vs.yaml': VS });
    assert.deepEqual(
      findings.map((f) => f.field),
      ['spec.http[0].route[0].destination.subset', 'spec.http[1].route[0].destination.subset'],
    );
    assert.match(findings[0]?.message ?? '', /No DestinationRule has host reviews\.default\.svc\.cluster\.local: add one with a subset "v1"/);
  });

  test('checks mirror subsets too', () => {
    const vs = VS.replace('        - destination: { host: reviews, subset: v1 }\n', '        - destination: { host: reviews, subset: v1 }\n      mirror: { host: reviews, subset: shadow }\n');
    const { findings } = run({ 'vs.yaml': vs.replace('subset: v3', 'subset: v1'), 'dr.yaml': DR('reviews', ['v1']) });
    assert.deepEqual(summary(findings).map((s) => s.split(': [')[0]), [`error vs.yaml:${lineOf(vs, 'mirror:')} VirtualService default/reviews spec.http[0].mirror.subset`]);
  });

  test('a rule matches by resolved host: FQDN, short name, another namespace, or a wildcard', () => {
    for (const [host, ns] of [
      ['reviews.default.svc.cluster.local', 'default'],
      ['reviews', 'default'],
      ['reviews.default.svc.cluster.local', 'other'],
      ['*.default.svc.cluster.local', 'default'],
    ] as const) {
      const { findings, fileIssues } = run({ 'vs.yaml': VS, 'dr.yaml': DR(host, ['v1', 'v3'], ns) });
      assert.deepEqual(summary(fileIssues), [], host);
      assert.deepEqual(summary(findings), [], `${host} in ${ns}`);
    }
  });

  test('a short host in a rule of another namespace means a different service', () => {
    const { findings } = run({ 'vs.yaml': VS, 'dr.yaml': DR('reviews', ['v1', 'v3'], 'prod') });
    assert.equal(findings.length, 2, summary(findings).join('\n'));
    assert.match(findings[0]?.message ?? '', /No DestinationRule has host reviews\.default\.svc\.cluster\.local/);
  });

  test('stands down while a DestinationRule has errors: the broken one may define the subset', () => {
    const broken = DR('reviews', ['v1', 'v3']).replace('subsets:', 'subsetz:');
    const { findings, fileIssues } = run({ 'vs.yaml': VS, 'dr.yaml': broken });
    assert.ok(fileIssues.some((i) => i.severity === 'error' && i.resource === 'DestinationRule default/reviews'));
    assert.deepEqual(summary(findings), []);
  });
});
