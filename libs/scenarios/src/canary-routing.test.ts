import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfigFile, type VirtualService } from '@skiff/api';
import { canaryVirtualService, setCanaryWeight } from './canary-routing.js';
import type { CanarySpec } from './canary-spec.js';

const spec: CanarySpec = { name: 'reviews', namespace: 'default', service: 'reviews', port: 9080, primary: 'v1', canary: 'v2', analysis: { intervalMs: 1000, threshold: 1, stepWeight: 10, maxWeight: 50, metrics: [] } };

const REPO_STYLE = `# Canary: 90% of calls to reviews go to v1, 10% to v2.
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
    - reviews
  http:
    - match:
        - headers: { end-user: { exact: jason } }
      route:
        - destination: { host: reviews, subset: v2 }
    - route:
        - destination:
            host: reviews
            subset: v1
          weight: 90
        - destination:
            host: reviews
            subset: v2
          weight: 10
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  subsets:
    - { name: v1, labels: { version: v1 } }
    - { name: v2, labels: { version: v2 } }
`;

function weights(text: string): Array<[string | undefined, number | undefined]> {
  const parsed = parseConfigFile('x.yaml', text);
  assert.deepEqual(parsed.issues.filter((i) => i.severity === 'error'), []);
  const vs = parsed.resources.find((r) => r.kind === 'VirtualService') as VirtualService | undefined;
  return (vs?.spec.http?.at(-1)?.route ?? []).map((r) => [r.destination.subset, r.weight]);
}

test('the runner\'s own VirtualService is valid Istio config with the weights asked for', () => {
  assert.deepEqual(weights(canaryVirtualService(spec, 25)), [['v1', 75], ['v2', 25]]);
  assert.deepEqual(weights(canaryVirtualService(spec, 0)), [['v1', 100], ['v2', 0]]);
});

test('moves the weights of the route with both subsets in place, keeping comments, other routes and documents', () => {
  const out = setCanaryWeight('reviews.yaml', REPO_STYLE, spec, 30) as string;
  assert.deepEqual(weights(out), [['v1', 70], ['v2', 30]]);
  assert.match(out, /^# Canary: 90% of calls/);
  assert.match(out, /end-user/);
  assert.match(out, /kind: DestinationRule/);
  assert.deepEqual(weights(setCanaryWeight('reviews.yaml', out, spec, 100) as string), [['v1', 0], ['v2', 100]]);
});

test('a file without a VirtualService for the service is left alone', () => {
  assert.equal(setCanaryWeight('gateway.yaml', 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: fe }\nspec:\n  hosts: [frontend]\n  http:\n  - route:\n    - destination: { host: frontend }\n', spec, 10), undefined);
  assert.equal(setCanaryWeight('other-ns.yaml', REPO_STYLE.replace('name: reviews\nspec:\n  hosts', 'name: reviews\n  namespace: staging\nspec:\n  hosts'), spec, 10), undefined);
});

test('a VirtualService for the service without both subsets is an error that says what to add', () => {
  const onlyV1 = REPO_STYLE.replace(/ {8}- destination:\n {12}host: reviews\n {12}subset: v2\n {10}weight: 10\n/, '').replace('weight: 90', 'weight: 100');
  assert.throws(() => setCanaryWeight('reviews.yaml', onlyV1, spec, 10), /reviews\.yaml: VirtualService reviews routes reviews but has no route with both subsets v1 and v2; add one/);
});
