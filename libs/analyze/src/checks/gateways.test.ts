import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { lineOf, run, summary } from '../test-helpers.js';

const GATEWAY = (name: string, namespace = 'istio-system') => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  selector: { istio: ingressgateway }
  servers:
    - port: { number: 80, name: http, protocol: HTTP }
      hosts: ["*"]
`;

const VS = (gateways: string[], matchGateways?: string[]) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: frontend
spec:
  hosts: [frontend]
  gateways:
${gateways.map((g) => `    - ${g}`).join('\n')}
  http:
${matchGateways ? `    - match:\n        - gateways: [${matchGateways.join(', ')}]\n          uri: { prefix: /api }\n      route:\n        - destination: { host: frontend }\n` : ''}    - route:
        - destination: { host: frontend }
`;

describe('IST0101 gateway not found', () => {
  test('an error at spec.gateways[k], naming the gateway as namespace/name', () => {
    const vs = VS(['istio-system/foo']);
    const { findings } = run({ 'gw.yaml': GATEWAY('bookinfo-gateway'), 'vs.yaml': vs });
    const notFound = findings.filter((f) => f.severity === 'error');
    assert.deepEqual(summary(notFound), [
      `error vs.yaml:${lineOf(vs, 'istio-system/foo')} VirtualService default/frontend spec.gateways[0]: ` +
        '[IST0101] gateway "istio-system/foo" not found; define it, or name an existing Gateway as "<namespace>/<name>" (a bare name means namespace default)',
    ]);
  });

  test('a bare name is relative to the VirtualService namespace; the same name elsewhere is suggested', () => {
    const { findings } = run({ 'gw.yaml': GATEWAY('bookinfo-gateway'), 'vs.yaml': VS(['bookinfo-gateway']) });
    const notFound = findings.filter((f) => f.severity === 'error');
    assert.equal(notFound.length, 1);
    assert.equal(notFound[0]?.message, '[IST0101] gateway "default/bookinfo-gateway" not found; a bare name means namespace default: did you mean "istio-system/bookinfo-gateway"?');
  });

  test('bare and namespaced references that exist, and "mesh", are fine', () => {
    const files = { 'gw.yaml': GATEWAY('a') + '---\n' + GATEWAY('b', 'default'), 'vs.yaml': VS(['istio-system/a', 'b', 'mesh'], ['b', 'mesh']) };
    const { findings, fileIssues } = run(files);
    assert.deepEqual(summary(fileIssues), []);
    assert.deepEqual(summary(findings), []);
  });

  test('gateways named in a match must exist too', () => {
    const vs = VS(['istio-system/a'], ['istio-system/a', 'istio-system/typo-gw']);
    const { findings } = run({ 'gw.yaml': GATEWAY('a'), 'vs.yaml': vs });
    assert.deepEqual(
      findings.map((f) => `${f.line} ${f.field}`),
      [`${lineOf(vs, 'typo-gw')} spec.http[0].match[0].gateways[1]`],
    );
  });

  test('stands down while a Gateway has errors: the broken one may be the one referenced', () => {
    const broken = GATEWAY('foo').replace('servers:', 'serverz:');
    const { findings, fileIssues } = run({ 'gw.yaml': broken, 'vs.yaml': VS(['istio-system/foo']) });
    assert.ok(fileIssues.some((i) => i.severity === 'error'));
    assert.deepEqual(summary(findings), []);
  });
});

describe('SKF0001 Gateway that no VirtualService binds', () => {
  test('a warning at the Gateway name', () => {
    const gw = GATEWAY('a') + '---\n' + GATEWAY('unused');
    const { findings } = run({ 'gw.yaml': gw, 'vs.yaml': VS(['istio-system/a']) });
    assert.deepEqual(summary(findings), [
      `warning gw.yaml:${lineOf(gw, 'name: unused')} Gateway istio-system/unused metadata.name: ` +
        '[SKF0001] no VirtualService binds Gateway istio-system/unused, so requests to it get 404. List "istio-system/unused" in a VirtualService\'s spec.gateways, or remove the Gateway.',
    ]);
  });

  test('a match-level gateway reference does not bind: only spec.gateways does', () => {
    const vs = VS(['mesh'], ['istio-system/a']);
    const { findings } = run({ 'gw.yaml': GATEWAY('a'), 'vs.yaml': vs });
    assert.deepEqual(
      findings.map((f) => f.message.slice(0, 9)),
      ['[SKF0001]'],
    );
  });

  test('stands down while a VirtualService has errors: the broken one may bind it', () => {
    const { findings, fileIssues } = run({ 'gw.yaml': GATEWAY('a'), 'vs.yaml': VS(['istio-system/a']).replace('hosts:', 'hostz:') });
    assert.ok(fileIssues.some((i) => i.severity === 'error' && i.resource === 'VirtualService default/frontend'));
    assert.deepEqual(summary(findings), []);
  });
});
