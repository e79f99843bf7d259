// Test fixtures: a bookinfo-like mesh (frontend -> reviews v1/v2 -> ratings, plus an ingress
// gateway) and small builders for resources. Used only by the *.test.ts files.
import { ProxySnapshotSchema, type DestinationRule, type DestinationRuleSpec, type Gateway, type GatewaySpec, type Loaded, type ProxySnapshot, type VirtualService, type VirtualServiceSpec, type WorkloadInfo } from '@skiff/api';
import { buildSnapshot } from './build-snapshot.js';
import type { SnapshotResult } from './prepare.js';

let line = 1;
function source(): { file: string; line: number } {
  return { file: 'mesh.yaml', line: line++ };
}

export function vs(namespace: string, name: string, spec: VirtualServiceSpec): Loaded<VirtualService> {
  return { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace }, spec, source: source() };
}

export function dr(namespace: string, name: string, spec: DestinationRuleSpec): Loaded<DestinationRule> {
  return { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name, namespace }, spec, source: source() };
}

export function gw(namespace: string, name: string, spec: GatewaySpec): Loaded<Gateway> {
  return { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name, namespace }, spec, source: source() };
}

export function sidecar(service: string, namespace: string, version: string, address: string, inboundPort: number): WorkloadInfo {
  return {
    id: `${service}-${version}.${namespace}`,
    kind: 'sidecar',
    service,
    namespace,
    serviceAccount: `bookinfo-${service}`,
    labels: { app: service, version },
    address,
    inboundPort,
    servicePort: 9080,
  };
}

export const frontend = sidecar('frontend', 'default', 'v1', '127.0.0.1', 16001);
export const reviewsV1 = sidecar('reviews', 'default', 'v1', '127.0.0.1', 16002);
export const reviewsV2 = sidecar('reviews', 'default', 'v2', '127.0.0.1', 16003);
export const ratings = sidecar('ratings', 'default', 'v1', '127.0.0.1', 16004);
export const ingress: WorkloadInfo = {
  id: 'istio-ingressgateway.istio-system',
  kind: 'gateway',
  service: 'istio-ingressgateway',
  namespace: 'istio-system',
  serviceAccount: 'istio-ingressgateway',
  labels: { istio: 'ingressgateway', app: 'istio-ingressgateway' },
  address: '127.0.0.1',
  inboundPort: 18080,
  servicePort: 80,
};

export const workloads: WorkloadInfo[] = [frontend, reviewsV1, reviewsV2, ratings, ingress];

export const reviewsSplit = vs('default', 'reviews', {
  hosts: ['reviews'],
  http: [
    {
      name: 'testers',
      match: [{ headers: { 'End-User': { exact: 'jason' } } }],
      route: [{ destination: { host: 'reviews', subset: 'v2' } }],
    },
    {
      route: [
        { destination: { host: 'reviews', subset: 'v1' }, weight: 90 },
        { destination: { host: 'reviews', subset: 'v2' }, weight: 10 },
      ],
      timeout: '1.5s',
    },
  ],
});

export const reviewsRule = dr('default', 'reviews', {
  host: 'reviews',
  trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' }, tls: { mode: 'ISTIO_MUTUAL' } },
  subsets: [
    { name: 'v1', labels: { version: 'v1' } },
    { name: 'v2', labels: { version: 'v2' }, trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } },
  ],
});

export const bookinfoGateway = gw('default', 'bookinfo-gateway', {
  selector: { istio: 'ingressgateway' },
  servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }],
});

export const frontendIngress = vs('default', 'frontend', {
  hosts: ['*'],
  gateways: ['bookinfo-gateway'],
  http: [{ match: [{ uri: { prefix: '/' } }], route: [{ destination: { host: 'frontend', port: { number: 9080 } } }] }],
});

export const bookinfo = [reviewsSplit, reviewsRule, bookinfoGateway, frontendIngress];

/** Builds a snapshot and checks it against the schema the proxy enforces, as every test should. */
export function build(resources: readonly Loaded[], proxy: WorkloadInfo, registry: readonly WorkloadInfo[] = workloads): SnapshotResult & { parsed: ProxySnapshot } {
  const result = buildSnapshot({ resources, workloads: registry, proxy, version: 'v-test' });
  return { ...result, parsed: ProxySnapshotSchema.parse(result.snapshot) };
}
