import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCanary } from './canary-spec.js';

const GOOD = `apiVersion: skiff.dev/v1alpha1
kind: Canary
metadata:
  name: reviews
spec:
  service: reviews
  primary: v1
  canary: v2
  analysis:
    interval: 10s
    threshold: 2
    stepWeight: 10
    maxWeight: 50
    metrics:
    - name: request-success-rate
      thresholdRange: { min: 99 }
    - name: request-duration
      thresholdRange: { max: 500 }
`;

test('reads the analysis in Flagger terms, with defaults for namespace and port', () => {
  assert.deepEqual(parseCanary('canary.yaml', GOOD), {
    name: 'reviews',
    namespace: 'default',
    service: 'reviews',
    port: 9080,
    primary: 'v1',
    canary: 'v2',
    analysis: {
      intervalMs: 10_000,
      threshold: 2,
      stepWeight: 10,
      maxWeight: 50,
      metrics: [
        { name: 'request-success-rate', thresholdRange: { min: 99 } },
        { name: 'request-duration', thresholdRange: { max: 500 } },
      ],
    },
  });
});

test('stepWeights instead of stepWeight and maxWeight', () => {
  const spec = parseCanary('c.yaml', GOOD.replace('    stepWeight: 10\n    maxWeight: 50\n', '    stepWeights: [10, 25, 50]\n'));
  assert.deepEqual([spec.analysis.stepWeights, spec.analysis.stepWeight, spec.analysis.maxWeight], [[10, 25, 50], 10, 50]);
  assert.throws(() => parseCanary('c.yaml', GOOD.replace('    stepWeight: 10\n    maxWeight: 50\n', '    stepWeights: [10, 5]\n')), /stepWeights: must rise/);
  assert.throws(() => parseCanary('c.yaml', GOOD.replace('    stepWeight: 10\n', '')), /give stepWeight and maxWeight, or stepWeights/);
});

test('errors name the file, line and field', () => {
  assert.throws(() => parseCanary('c.yaml', GOOD.replace('interval: 10s', 'interval: soon')), /^Error: c\.yaml:10: Canary spec\.analysis\.interval: a duration such as "10s"/);
  assert.throws(() => parseCanary('c.yaml', GOOD.replace('stepWeight: 10', 'stepWeight: 0')), /c\.yaml:12: Canary spec\.analysis\.stepWeight: must be more than 0/);
  assert.throws(() => parseCanary('c.yaml', GOOD.replace('name: request-duration', 'name: request-rate')), /c\.yaml:17: Canary spec\.analysis\.metrics\[1\]\.name/);
  assert.throws(() => parseCanary('c.yaml', GOOD.replace('canary: v2', 'canary: v1')), /Canary spec\.canary: primary and canary must be different subsets/);
  assert.throws(() => parseCanary('c.yaml', GOOD.replace('    threshold: 2\n', '    threshold: 2\n    thresold: 3\n')), /Canary spec\.analysis.*thresold/);
  assert.throws(() => parseCanary('c.yaml', 'kind: [oops'), /^Error: c\.yaml: /);
});
