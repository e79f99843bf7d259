// The checks that need a running control plane's registry: destination hosts and ports (IST0101)
// and subsets that select no workload (IST0173).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { lineOf, run, service, summary } from '../test-helpers.js';

const VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: prod
spec:
  hosts: [reviews]
  http:
    - route:
        - destination:
            host: reviwes
            port: { number: 9080 }
          weight: 50
        - destination:
            host: reviews
            port: { number: 9090 }
          weight: 50
      mirror: { host: httpbin.org }
`;

const DR = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
  namespace: prod
spec:
  host: reviews
  subsets:
    - name: v1
      labels: { version: v1 }
    - name: v3
      labels:
        version: v3
    - name: all
`;

const REGISTRY = [service('reviews.prod.svc.cluster.local', ['v1', 'v2']), service('reviews.default.svc.cluster.local', ['v3'])];

describe('IST0101 destination host or port not in the registry', () => {
  test('reports an unknown host (resolved in the VirtualService namespace, with a suggestion) and an unknown port', () => {
    const { findings } = run({ 'vs.yaml': VS }, REGISTRY);
    assert.deepEqual(summary(findings), [
      `error vs.yaml:${lineOf(VS, 'host: reviwes')} VirtualService prod/reviews spec.http[0].route[0].destination.host: ` +
        '[IST0101] host reviwes.prod.svc.cluster.local is not a service in the registry; requests routed to it get 503; did you mean "reviews.prod.svc.cluster.local"?',
      `error vs.yaml:${lineOf(VS, '9090')} VirtualService prod/reviews spec.http[0].route[1].destination.port.number: ` +
        '[IST0101] port 9090 is not a port of reviews.prod.svc.cluster.local (it has 9080); requests routed to it get 503. Use one of its ports.',
      `error vs.yaml:${lineOf(VS, 'mirror')} VirtualService prod/reviews spec.http[0].mirror.host: ` +
        '[IST0101] host httpbin.org is not a service in the registry; requests routed to it get 503. Fix the name, or start a workload of that service',
    ]);
  });

  test('says nothing about hosts without a registry: config alone cannot tell which services exist', () => {
    assert.deepEqual(summary(run({ 'vs.yaml': VS }).findings), []);
  });
});

describe('IST0173 subset selects no workload', () => {
  test('warns at the subset labels, and shows what the running workloads have', () => {
    const { findings } = run({ 'dr.yaml': DR }, REGISTRY);
    assert.deepEqual(summary(findings), [
      `warning dr.yaml:${lineOf(DR, 'labels:', lineOf(DR, 'name: v3'))} DestinationRule prod/reviews spec.subsets[1].labels: ` +
        '[IST0173] subset "v3" selects no workload of reviews.prod.svc.cluster.local (labels version=v3); requests routed to it get 503. ' +
        'Running workloads have version=v1; version=v2.',
    ]);
  });

  test('a subset must match every label of one workload', () => {
    const dr = DR.replace('labels: { version: v1 }', 'labels: { version: v1, app: ratings }');
    const { findings } = run({ 'dr.yaml': dr }, REGISTRY);
    assert.deepEqual(
      findings.map((f) => f.field),
      ['spec.subsets[0].labels', 'spec.subsets[1].labels'],
    );
  });

  test('a service with no workloads: every labelled and unlabelled subset selects nothing', () => {
    const { findings } = run({ 'dr.yaml': DR }, [{ host: 'reviews.prod.svc.cluster.local', ports: [9080], labels: [] }]);
    assert.deepEqual(
      findings.map((f) => f.field),
      ['spec.subsets[0].labels', 'spec.subsets[1].labels', 'spec.subsets[2].name'],
    );
    assert.match(findings[2]?.message ?? '', /labels none\).*The service has no running workloads\.$/);
  });

  test('no registry, or a host the registry does not know: no finding', () => {
    assert.deepEqual(summary(run({ 'dr.yaml': DR }).findings), []);
    assert.deepEqual(summary(run({ 'dr.yaml': DR }, [service('ratings.prod.svc.cluster.local', ['v1'])]).findings), []);
  });
});
