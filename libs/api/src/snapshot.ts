// The proxy-facing API: what the control plane computes for one proxy and pushes to it.
// Modelled on Envoy's shape (route config -> virtual host -> route -> weighted clusters;
// cluster -> endpoints) but flattened to JSON, and already resolved: names are Envoy/Istio
// cluster names, hosts are FQDNs, durations are milliseconds. The proxy validates every push
// against this schema and NACKs anything that does not parse, keeping its last good snapshot.
import { z } from 'zod';

export const StringMatchSchema = z.union([
  z.strictObject({ exact: z.string() }),
  z.strictObject({ prefix: z.string() }),
  z.strictObject({ regex: z.string() }),
]);

export const HeaderMatchSchema = z.strictObject({
  name: z.string(),
  /** Absent: the header must merely be present (or absent, with present: false). */
  match: StringMatchSchema.optional(),
  present: z.boolean().default(true),
});

export const RouteMatchSchema = z.strictObject({
  name: z.string().optional(),
  uri: StringMatchSchema.optional(),
  method: StringMatchSchema.optional(),
  authority: StringMatchSchema.optional(),
  scheme: StringMatchSchema.optional(),
  headers: z.array(HeaderMatchSchema).default([]),
  queryParams: z.array(z.strictObject({ name: z.string(), match: StringMatchSchema.optional() })).default([]),
  port: z.number().int().optional(),
  sourceLabels: z.record(z.string(), z.string()).optional(),
  sourceNamespace: z.string().optional(),
  ignoreUriCase: z.boolean().default(false),
});

export const HeaderOperationsSchema = z.strictObject({
  set: z.record(z.string(), z.string()).optional(),
  add: z.record(z.string(), z.string()).optional(),
  remove: z.array(z.string()).optional(),
});

export const HeadersSchema = z.strictObject({
  request: HeaderOperationsSchema.optional(),
  response: HeaderOperationsSchema.optional(),
});

export const WeightedClusterSchema = z.strictObject({
  cluster: z.string(),
  weight: z.number().int().min(0),
  headers: HeadersSchema.optional(),
});

export const RetryPolicySchema = z.strictObject({
  attempts: z.number().int().min(0),
  perTryTimeoutMs: z.number().int().min(0).optional(),
  retryOn: z.array(z.string()),
  retriableStatusCodes: z.array(z.number().int()).default([]),
});

export const FaultSchema = z.strictObject({
  delay: z.strictObject({ fixedDelayMs: z.number().int().min(0), percent: z.number().min(0).max(100) }).optional(),
  abort: z.strictObject({ httpStatus: z.number().int(), percent: z.number().min(0).max(100) }).optional(),
});

export const RouteActionSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('route'),
    clusters: z.array(WeightedClusterSchema).min(1),
    timeoutMs: z.number().int().min(0).optional(),
    retries: RetryPolicySchema.optional(),
    fault: FaultSchema.optional(),
    mirror: z.strictObject({ cluster: z.string(), percent: z.number().min(0).max(100) }).optional(),
    rewrite: z.strictObject({ uri: z.string().optional(), authority: z.string().optional() }).optional(),
  }),
  z.strictObject({
    kind: z.literal('redirect'),
    uri: z.string().optional(),
    authority: z.string().optional(),
    port: z.number().int().optional(),
    scheme: z.string().optional(),
    redirectCode: z.number().int().default(301),
  }),
]);

export const RouteSchema = z.strictObject({
  /** Human name for logs and `skiff simulate`, e.g. "default/reviews http[1] (v2-testers)". */
  name: z.string(),
  /** The VirtualService this route came from; absent for routes Skiff made by default. */
  origin: z.strictObject({ virtualService: z.string(), httpIndex: z.number().int(), routeName: z.string().optional() }).optional(),
  /** Any one of these must match; an empty list matches every request (Istio's catch-all). */
  matches: z.array(RouteMatchSchema).default([]),
  action: RouteActionSchema,
  headers: HeadersSchema.optional(),
});

export const VirtualHostSchema = z.strictObject({
  name: z.string(),
  /** Exact host, host:port, "*.suffix" or "*". */
  domains: z.array(z.string()).min(1),
  routes: z.array(RouteSchema),
});

export const RouteConfigSchema = z.strictObject({
  /** Sidecars: the service port, e.g. "9080". Gateways: "http.<server port>". */
  name: z.string(),
  virtualHosts: z.array(VirtualHostSchema),
});

export const EndpointSchema = z.strictObject({
  address: z.string(),
  port: z.number().int().min(1).max(65535),
  /** Workload id of the proxy in front of it. */
  workload: z.string(),
  labels: z.record(z.string(), z.string()).default({}),
});

export const ClusterSchema = z.strictObject({
  /** Istio's name: outbound|<port>|<subset>|<fqdn>. */
  name: z.string(),
  service: z.string(),
  port: z.number().int(),
  subset: z.string().optional(),
  endpoints: z.array(EndpointSchema),
  /** DestinationRule trafficPolicy in force for this cluster (subset policy merged over the top level). */
  trafficPolicy: z.record(z.string(), z.unknown()).optional(),
});

export const GatewayServerSnapshotSchema = z.strictObject({
  port: z.number().int(),
  protocol: z.string(),
  hosts: z.array(z.string()),
  routeConfig: z.string(),
});

export const ProxySnapshotSchema = z.strictObject({
  version: z.string(),
  routeConfigs: z.array(RouteConfigSchema),
  clusters: z.array(ClusterSchema),
  gatewayServers: z.array(GatewayServerSnapshotSchema).default([]),
});

export type StringMatchSpec = z.infer<typeof StringMatchSchema>;
export type HeaderMatch = z.infer<typeof HeaderMatchSchema>;
export type RouteMatch = z.infer<typeof RouteMatchSchema>;
export type WeightedCluster = z.infer<typeof WeightedClusterSchema>;
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;
export type RouteAction = z.infer<typeof RouteActionSchema>;
export type Route = z.infer<typeof RouteSchema>;
export type VirtualHost = z.infer<typeof VirtualHostSchema>;
export type RouteConfig = z.infer<typeof RouteConfigSchema>;
export type Endpoint = z.infer<typeof EndpointSchema>;
export type Cluster = z.infer<typeof ClusterSchema>;
export type GatewayServerSnapshot = z.infer<typeof GatewayServerSnapshotSchema>;
export type ProxySnapshot = z.infer<typeof ProxySnapshotSchema>;
/** What configgen writes; defaults may be left out. */
export type ProxySnapshotInput = z.input<typeof ProxySnapshotSchema>;

/** Parses a pushed snapshot; throws a readable error naming the first bad field. */
export function parseSnapshot(json: string): ProxySnapshot {
  const result = ProxySnapshotSchema.safeParse(JSON.parse(json));
  if (!result.success) {
    const first = result.error.issues[0];
    throw new Error(`invalid snapshot at ${first?.path.join('.') || '(root)'}: ${first?.message ?? 'unknown error'}`);
  }
  return result.data;
}

/** Istio's cluster naming, so `proxy-config clusters` reads like istioctl's. */
export function clusterName(direction: 'outbound' | 'inbound', port: number, subset: string | undefined, fqdn: string): string {
  return `${direction}|${port}|${subset ?? ''}|${fqdn}`;
}
