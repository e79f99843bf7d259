import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WorkloadInfo } from '@skiff/api';
import { findWorkload } from './mesh-workloads.js';

const w = (id: string, service: string, version?: string, kind: WorkloadInfo['kind'] = 'sidecar'): WorkloadInfo => ({ id, kind, service, namespace: 'default', serviceAccount: service, labels: version ? { app: service, version } : { app: service }, address: '127.0.0.1', inboundPort: 1, servicePort: 9080 });

test('a workload is found by the launcher\'s name: proxy id, then service-version, then service', () => {
  const registry = [w('istio-ingressgateway.istio-system', 'frontend', undefined, 'gateway'), w('frontend.default', 'frontend'), w('reviews-v1.default', 'reviews', 'v1'), w('pod-7f9.default', 'reviews', 'v2')];
  assert.equal(findWorkload(registry, 'frontend')?.id, 'frontend.default', 'a gateway is never taken for a sidecar');
  assert.equal(findWorkload(registry, 'reviews-v1')?.id, 'reviews-v1.default');
  assert.equal(findWorkload(registry, 'reviews-v2')?.id, 'pod-7f9.default', 'compose and Kubernetes name proxies otherwise');
  assert.equal(findWorkload(registry, 'ratings'), undefined);
});
