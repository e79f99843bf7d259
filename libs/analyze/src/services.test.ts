import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WorkloadInfo } from '@skiff/api';
import { servicesFromWorkloads } from './services.js';

function workload(service: string, namespace: string, version: string, servicePort = 9080, kind: WorkloadInfo['kind'] = 'sidecar'): WorkloadInfo {
  return { id: `${service}-${version}.${namespace}`, kind, service, namespace, serviceAccount: service, labels: { app: service, version }, address: '127.0.0.1', inboundPort: 16000, servicePort };
}

test('one service per FQDN, with its distinct ports and every workload\'s labels; gateways are not services', () => {
  const services = servicesFromWorkloads([
    workload('reviews', 'default', 'v2', 9081),
    workload('reviews', 'default', 'v1'),
    workload('reviews', 'prod', 'v1'),
    workload('istio-ingressgateway', 'istio-system', 'v1', 80, 'gateway'),
  ]);
  assert.deepEqual(services, [
    { host: 'reviews.default.svc.cluster.local', ports: [9080, 9081], labels: [{ app: 'reviews', version: 'v2' }, { app: 'reviews', version: 'v1' }] },
    { host: 'reviews.prod.svc.cluster.local', ports: [9080], labels: [{ app: 'reviews', version: 'v1' }] },
  ]);
});
