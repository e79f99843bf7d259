import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfigFile, type WorkloadInfo } from '@skiff/api';
import { computeSnapshot, prepareConfig, snapshotClass } from './snapshot-source.js';

const config = parseConfigFile(
  'mesh.yaml',
  `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: reviews-v2-only-get
  namespace: default
spec:
  selector:
    matchLabels:
      version: v2
  rules:
  - to:
    - operation:
        methods: ["GET"]
`,
);

function proxy(id: string, labels: Record<string, string>, namespace = 'default'): WorkloadInfo {
  return { id, kind: 'sidecar', service: 'reviews', namespace, serviceAccount: 'reviews', labels, address: '127.0.0.1', inboundPort: 16000, servicePort: 9080 };
}

test('replicas with the same kind, namespace and labels share one computed snapshot; others get their own', () => {
  assert.deepEqual(config.issues, []);
  const replicas = [proxy('reviews-v2-a.default', { app: 'reviews', version: 'v2' }), proxy('reviews-v2-b.default', { version: 'v2', app: 'reviews' })];
  const v1 = proxy('reviews-v1.default', { app: 'reviews', version: 'v1' });
  const prepared = prepareConfig(config.resources, [...replicas, v1], 'cluster.local');
  const [a, b] = replicas.map((p) => computeSnapshot(prepared, p));
  assert.equal(a, b, 'label order does not matter: one object for both replicas');
  const other = computeSnapshot(prepared, v1);
  assert.notEqual(other.version, a?.version, 'the policy selects v2 only, so v1 differs');
  assert.match(a?.json ?? '', /"GET"/);
  assert.doesNotMatch(other.json, /"GET"/);
});

test('the cache is per prepared config: a new config computes again', () => {
  const p = proxy('reviews-v2.default', { app: 'reviews', version: 'v2' });
  const first = computeSnapshot(prepareConfig(config.resources, [p], 'cluster.local'), p);
  const second = computeSnapshot(prepareConfig([], [p], 'cluster.local'), p);
  assert.notEqual(first.version, second.version);
});

test('the class names kind, namespace and every label', () => {
  assert.notEqual(snapshotClass(proxy('x', { app: 'a' })), snapshotClass(proxy('x', { app: 'a' }, 'other')));
  assert.notEqual(snapshotClass(proxy('x', { app: 'a' })), snapshotClass({ ...proxy('x', { app: 'a' }), kind: 'gateway' }));
  assert.notEqual(snapshotClass(proxy('x', { app: 'a' })), snapshotClass(proxy('x', { app: 'a', extra: '' })));
});
