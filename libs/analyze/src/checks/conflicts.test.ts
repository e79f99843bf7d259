import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { lineOf, run, summary } from '../test-helpers.js';

const VS = (name: string, hosts: string[], extra = '', namespace = 'default') => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  hosts: [${hosts.join(', ')}]
${extra}  http:
    - route:
        - destination: { host: reviews.default.svc.cluster.local }
`;

const DR = (name: string, host: string, namespace = 'default') => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  host: ${host}
`;

const GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw
spec:
  servers:
    - port: { number: 80, name: http, protocol: HTTP }
      hosts: ["*"]
`;

describe('IST0109 two VirtualServices for one host in the mesh', () => {
  test('warns on the one that loses (second by namespace/name), at its host, naming the winner', () => {
    const b = VS('b-reviews', ['ratings', 'reviews']);
    const a = VS('a-reviews', ['reviews.default.svc.cluster.local']);
    const { findings } = run({ 'b.yaml': b, 'a.yaml': a });
    assert.deepEqual(summary(findings), [
      `warning b.yaml:${lineOf(b, 'hosts')} VirtualService default/b-reviews spec.hosts[1]: ` +
        '[IST0109] host reviews.default.svc.cluster.local is also routed for the mesh by VirtualService default/a-reviews (a.yaml:1); ' +
        'sidecars use default/a-reviews (first by namespace/name) and ignore this VirtualService for that host. Merge the routes into one VirtualService.',
    ]);
  });

  test('no conflict when no namespace sees both (exportTo ".") or when one is only on a gateway', () => {
    const own = 'exportTo: ["."]\n';
    assert.deepEqual(summary(run({ 'a.yaml': VS('a', ['reviews.default.svc.cluster.local'], `  ${own}`, 'default'), 'b.yaml': VS('b', ['reviews.default.svc.cluster.local'], `  ${own}`, 'prod') }).findings), []);
    const gw = run({ 'gw.yaml': GATEWAY, 'a.yaml': VS('a', ['reviews']), 'b.yaml': VS('b', ['reviews'], '  gateways: [gw]\n') });
    assert.deepEqual(summary(gw.findings), []);
  });

  test('a short name in two namespaces is two different hosts', () => {
    assert.deepEqual(summary(run({ 'a.yaml': VS('a', ['reviews'], '', 'default'), 'b.yaml': VS('b', ['reviews'], '', 'prod') }).findings), []);
  });

  test('exported to a namespace both can reach: a conflict', () => {
    const { findings } = run({ 'a.yaml': VS('a', ['reviews.default.svc.cluster.local'], '  exportTo: ["."]\n'), 'b.yaml': VS('b', ['reviews.default.svc.cluster.local'], '  exportTo: [default]\n', 'prod') });
    assert.deepEqual(
      findings.map((f) => `${f.resource} ${f.message.slice(0, 9)}`),
      ['VirtualService prod/b [IST0109]'],
    );
  });
});

describe('SKF0003 two VirtualServices for one host on one Gateway', () => {
  test('warns on the second; the same host on different gateways is fine', () => {
    const b = VS('b', ['"*"'], '  gateways: [gw]\n');
    const { findings } = run({ 'gw.yaml': GATEWAY, 'a.yaml': VS('a', ['"*"'], '  gateways: [default/gw]\n'), 'b.yaml': b });
    assert.deepEqual(summary(findings), [
      `warning b.yaml:${lineOf(b, 'hosts')} VirtualService default/b spec.hosts[0]: ` +
        '[SKF0003] host * on Gateway default/gw is also routed by VirtualService default/a (a.yaml:1); Skiff uses default/a (first by namespace/name) ' +
        'and ignores this VirtualService there (Istio would merge the two). Merge the routes into one VirtualService.',
    ]);
    const other = GATEWAY.replace('name: gw', 'name: gw2');
    const apart = run({ 'gw.yaml': GATEWAY + '---\n' + other, 'a.yaml': VS('a', ['"*"'], '  gateways: [gw2]\n'), 'b.yaml': b });
    assert.deepEqual(summary(apart.findings), []);
  });
});

describe('SKF0002 two DestinationRules for one host', () => {
  test('in one namespace: a warning on the second by name, at spec.host', () => {
    const b = DR('b', 'reviews.default.svc.cluster.local');
    const { findings } = run({ 'a.yaml': DR('a', 'reviews'), 'b.yaml': b });
    assert.deepEqual(summary(findings), [
      `warning b.yaml:${lineOf(b, 'host:')} DestinationRule default/b spec.host: ` +
        '[SKF0002] host reviews.default.svc.cluster.local is also configured by DestinationRule default/a (a.yaml:1); Skiff applies default/a (first by name) ' +
        'and ignores this one, subsets included. Merge them into one DestinationRule.',
    ]);
  });

  test('in different namespaces: fine, each proxy prefers its own namespace', () => {
    assert.deepEqual(summary(run({ 'a.yaml': DR('a', 'reviews.default.svc.cluster.local'), 'b.yaml': DR('b', 'reviews.default.svc.cluster.local', 'prod') }).findings), []);
  });

  test('a DestinationRule host with no VirtualService is fine', () => {
    assert.deepEqual(summary(run({ 'a.yaml': DR('a', 'ratings') }).findings), []);
  });
});
