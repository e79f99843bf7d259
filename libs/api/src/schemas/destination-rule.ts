// DestinationRule (networking.istio.io), named as in Istio's reference. Lists after each shape
// are Istio fields Skiff ignores with a warning.
import { z } from 'zod';
import type { DestinationRuleSpec, TrafficPolicy } from '../resources.js';
import { always, dns1123Label, duration, exportTo, hostName, istioObject, labelMap, portNumber, resourceSchema } from './common.js';

export const LB_SIMPLE = ['UNSPECIFIED', 'LEAST_REQUEST', 'RANDOM', 'PASSTHROUGH', 'ROUND_ROBIN', 'LEAST_CONN'] as const;

const HASH_KEYS = ['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'] as const;

export const ConsistentHashSchema = istioObject(
  {
    httpHeaderName: z.string().min(1).optional(),
    httpCookie: istioObject({ name: z.string().min(1), path: z.string().optional(), ttl: duration().optional() }, ['attributes']).optional(),
    useSourceIp: z.boolean().optional(),
    httpQueryParameterName: z.string().min(1).optional(),
  },
  ['ringHash', 'maglev', 'minimumRingSize'],
).superRefine((h, ctx) => {
  const set = HASH_KEYS.filter((k) => h[k] !== undefined);
  if (set.length === 0) ctx.addIssue({ code: 'custom', message: `consistentHash needs one hash key: ${HASH_KEYS.join(', ')}` });
  if (set.length > 1) ctx.addIssue({ code: 'custom', path: [set[1] as string], message: `set only one hash key, not ${set.join(' and ')}` });
}, always);

export const LoadBalancerSettingsSchema = istioObject(
  {
    simple: z.enum(LB_SIMPLE).optional(),
    consistentHash: ConsistentHashSchema.optional(),
  },
  ['localityLbSetting', 'warmupDurationSecs', 'warmup'],
).superRefine((lb, ctx) => {
  if (lb.simple !== undefined && lb.consistentHash !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['consistentHash'], message: 'set either simple or consistentHash, not both' });
  }
}, always);

const count = z.int().min(0);

export const ConnectionPoolSettingsSchema = istioObject({
  tcp: istioObject({ maxConnections: count.optional(), connectTimeout: duration({ atLeast1ms: true }).optional() }, ['tcpKeepalive', 'maxConnectionDuration', 'idleTimeout']).optional(),
  http: istioObject(
    {
      http1MaxPendingRequests: count.optional(),
      http2MaxRequests: count.optional(),
      maxRequestsPerConnection: count.optional(),
      maxRetries: count.optional(),
      idleTimeout: duration().optional(),
      h2UpgradePolicy: z.enum(['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE']).optional(),
    },
    ['useClientProtocol', 'maxConcurrentStreams'],
  ).optional(),
});

export const OutlierDetectionSchema = istioObject(
  {
    consecutive5xxErrors: count.optional(),
    consecutiveGatewayErrors: count.optional(),
    interval: duration({ atLeast1ms: true }).optional(),
    baseEjectionTime: duration({ atLeast1ms: true }).optional(),
    maxEjectionPercent: z.int().min(0).max(100).optional(),
    minHealthPercent: z.int().min(0).max(100).optional(),
  },
  ['splitExternalLocalOriginErrors', 'consecutiveLocalOriginFailures', 'consecutiveErrors'],
);

export const ClientTLSSettingsSchema = istioObject(
  {
    mode: z.enum(['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL']),
    clientCertificate: z.string().min(1).optional(),
    privateKey: z.string().min(1).optional(),
    caCertificates: z.string().min(1).optional(),
    credentialName: z.string().min(1).optional(),
    subjectAltNames: z.array(z.string().min(1)).optional(),
    sni: z.string().min(1).optional(),
    insecureSkipVerify: z.boolean().optional(),
  },
  ['caCrl'],
).superRefine((tls, ctx) => {
  // Istio's validation: MUTUAL origination needs a client certificate and key, unless a credential names them.
  if (tls.mode === 'MUTUAL' && tls.credentialName === undefined && (tls.clientCertificate === undefined || tls.privateKey === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'mode MUTUAL needs clientCertificate and privateKey, or credentialName' });
  }
}, always);

const policyFields = {
  loadBalancer: LoadBalancerSettingsSchema.optional(),
  connectionPool: ConnectionPoolSettingsSchema.optional(),
  outlierDetection: OutlierDetectionSchema.optional(),
  tls: ClientTLSSettingsSchema.optional(),
};

export const PortTrafficPolicySchema = istioObject({ port: istioObject({ number: portNumber }), ...policyFields });

export const TrafficPolicySchema = istioObject(
  {
    ...policyFields,
    portLevelSettings: z.array(PortTrafficPolicySchema).optional(),
  },
  ['tunnel', 'proxyProtocol', 'retryBudget'],
);

export const SubsetSchema = istioObject({
  name: dns1123Label('subset name'),
  labels: labelMap().optional(),
  trafficPolicy: TrafficPolicySchema.optional(),
});

export const DestinationRuleSpecSchema = istioObject(
  {
    host: hostName(),
    trafficPolicy: TrafficPolicySchema.optional(),
    subsets: z.array(SubsetSchema).optional(),
    exportTo: exportTo.optional(),
  },
  ['workloadSelector'],
).superRefine((spec, ctx) => {
  if (!Array.isArray(spec.subsets)) return;
  const firstIndex = new Map<string, number>();
  spec.subsets.forEach((subset, i) => {
    const name: unknown = subset?.name;
    if (typeof name !== 'string') return;
    const first = firstIndex.get(name);
    if (first === undefined) firstIndex.set(name, i);
    else ctx.addIssue({ code: 'custom', path: ['subsets', i, 'name'], message: `duplicate subset name ${JSON.stringify(name)} (already used by subsets[${first}]); subset names must be unique` });
  });
}, always);

export const DestinationRuleSchema = resourceSchema('DestinationRule', DestinationRuleSpecSchema);

/** Warnings for a valid DestinationRule whose values Skiff runs differently from Istio. */
export function destinationRuleAdvice(spec: DestinationRuleSpec): Array<{ path: PropertyKey[]; message: string }> {
  const out: Array<{ path: PropertyKey[]; message: string }> = [];
  const check = (policy: TrafficPolicy | undefined, at: PropertyKey[]) => {
    if (policy?.loadBalancer?.simple === 'PASSTHROUGH') {
      out.push({ path: [...at, 'loadBalancer', 'simple'], message: "PASSTHROUGH (send to the address the caller dialled) is not supported by Skiff; it runs as ROUND_ROBIN over the cluster's endpoints" });
    }
  };
  check(spec.trafficPolicy, ['spec', 'trafficPolicy']);
  spec.subsets?.forEach((subset, i) => check(subset.trafficPolicy, ['spec', 'subsets', i, 'trafficPolicy']));
  return out;
}
