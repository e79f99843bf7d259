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
  /** An HTTP status, or a gRPC status answered as HTTP 200 (Envoy's fault filter). */
  abort: z.strictObject({ httpStatus: z.number().int(), grpcStatus: z.number().int().min(0).max(16).optional(), percent: z.number().min(0).max(100) }).optional(),
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
  /** SPIFFE ID the workload's certificate must carry: spiffe://<trust domain>/ns/<ns>/sa/<service account>. */
  identity: z.string().optional(),
  /** Istio's auto mTLS: "istio" when a sidecar fronts the endpoint (then callers use mTLS), else "disabled". */
  tlsMode: z.enum(['istio', 'disabled']).optional(),
  /** false: the sidecar's probe finds its app unhealthy (Envoy's EDS health_status UNHEALTHY): never picked. */
  healthy: z.literal(false).optional(),
});

// ---- cluster policy: a DestinationRule trafficPolicy as the proxy runs it --------------------------
// Typed and defaulted at the control plane (libs/api traffic-policy.ts), so a proxy never reads
// raw config on a request and never NACKs a policy the control plane accepted.

export const HashKeySchema = z.union([
  z.strictObject({ header: z.string().min(1) }),
  z.strictObject({ cookie: z.strictObject({ name: z.string().min(1), path: z.string().optional(), ttlMs: z.number().min(0).optional() }) }),
  z.strictObject({ sourceIp: z.literal(true) }),
  z.strictObject({ queryParameter: z.string().min(1) }),
]);

export const LoadBalancerPolicySchema = z.union([
  z.strictObject({ kind: z.enum(['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM']) }),
  z.strictObject({ kind: z.literal('CONSISTENT_HASH'), key: HashKeySchema }),
]);

/** A limit; absent means none (Istio programs 2^32-1). */
const limit = z.int().min(1).optional();

export const ConnectionPoolPolicySchema = z.strictObject({
  /** tcp.maxConnections: connections to the whole cluster (Envoy's breakers are per cluster). */
  maxConnections: limit,
  /** http.http1MaxPendingRequests: requests allowed to wait for a connection. */
  maxPendingRequests: limit,
  /** http.http2MaxRequests: requests outstanding to the cluster (Envoy applies it to HTTP/1.1 too). */
  maxRequests: limit,
  /** http.maxRequestsPerConnection; absent: keep-alive without a limit. */
  maxRequestsPerConnection: limit,
  /** http.maxRetries: retries outstanding to the cluster at once. */
  maxRetries: limit,
  connectTimeoutMs: z.number().min(1),
  /** Idle upstream connections are closed after this; absent when "0s" disables it. */
  idleTimeoutMs: z.number().min(1).optional(),
});

export const OutlierDetectionPolicySchema = z.strictObject({
  /** 0 disables this detector. */
  consecutive5xxErrors: z.int().min(0),
  /** 0 disables this detector (Istio's default: Envoy counts them but does not enforce). */
  consecutiveGatewayErrors: z.int().min(0),
  intervalMs: z.number().min(1),
  baseEjectionTimeMs: z.number().min(1),
  /** Envoy's max_ejection_time, which Istio does not expose: 300 s, or baseEjectionTime if longer. */
  maxEjectionTimeMs: z.number().min(1),
  maxEjectionPercent: z.int().min(0).max(100),
  /** Below this % of healthy hosts the load balancer panics and uses every host; 0 disables. */
  minHealthPercent: z.int().min(0).max(100),
});

export const ClusterPolicySchema = z.strictObject({
  loadBalancer: LoadBalancerPolicySchema,
  connectionPool: ConnectionPoolPolicySchema,
  /** Present only when the DestinationRule sets outlierDetection (Istio enables it only then). */
  outlierDetection: OutlierDetectionPolicySchema.optional(),
  /** tls.mode; DISABLE turns auto mTLS off for the cluster's sidecar endpoints. */
  tlsMode: z.enum(['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL']).optional(),
  /** SIMPLE or MUTUAL: TLS this proxy originates to the endpoints (Istio's egress TLS origination); files are read by the proxy. */
  tls: z
    .strictObject({
      mode: z.enum(['SIMPLE', 'MUTUAL']),
      sni: z.string().optional(),
      caCertificates: z.string().optional(),
      clientCertificate: z.string().optional(),
      privateKey: z.string().optional(),
      credentialName: z.string().optional(),
      subjectAltNames: z.array(z.string()).optional(),
      insecureSkipVerify: z.boolean().optional(),
    })
    .optional(),
});

export const ClusterSchema = z.strictObject({
  /** Istio's name: outbound|<port>|<subset>|<fqdn>. */
  name: z.string(),
  service: z.string(),
  /**
   * A ServiceEntry's host: the entry's namespace. Istio names such a service by its whole host in
   * metrics (destination_service_name="api.example.com") and gives the entry's namespace, where a
   * Kubernetes service's FQDN splits into name and namespace (pilot's serviceentry conversion.go).
   */
  serviceNamespace: z.string().optional(),
  port: z.number().int(),
  subset: z.string().optional(),
  endpoints: z.array(EndpointSchema),
  /** A ServiceEntry with resolution NONE: no endpoints, each request goes where the caller sent it (Envoy's ORIGINAL_DST). */
  originalDestination: z.literal(true).optional(),
  /** How the upstream is spoken to (from its port's protocol); absent: as the client spoke (a sniffed port). */
  protocol: z.enum(['HTTP/1.1', 'HTTP/2']).optional(),
  /**
   * The DestinationRule trafficPolicy in force (subset over top level), compiled by the control
   * plane with Istio's defaults filled in. Absent: no DestinationRule policy, Istio's defaults.
   */
  policy: ClusterPolicySchema.optional(),
});

// ---- TCP: byte streams routed per connection (Envoy's tcp_proxy with weighted clusters) ------------

/** Istio's L4MatchAttributes as the proxy evaluates them; absent fields do not constrain. */
export const TcpMatchSchema = z.strictObject({
  port: z.number().int().optional(),
  /** CIDR ranges the connection's destination address must fall in. */
  destinationSubnets: z.array(z.string()).optional(),
  sourceLabels: z.record(z.string(), z.string()).optional(),
  sourceNamespace: z.string().optional(),
  /** A tls route's server names ("nginx.example.com", "*.example.com"), matched against the ClientHello's SNI. */
  sniHosts: z.array(z.string()).optional(),
});

export const TcpRouteSchema = z.strictObject({
  /** e.g. "default/tcp-echo tcp[0]", or "default route" when no VirtualService routes the service. */
  name: z.string(),
  origin: z.strictObject({ virtualService: z.string(), tcpIndex: z.number().int().optional(), tlsIndex: z.number().int().optional() }).optional(),
  /** Any one must match; empty matches every connection. */
  matches: z.array(TcpMatchSchema).default([]),
  clusters: z.array(z.strictObject({ cluster: z.string(), weight: z.number().int().min(0) })).min(1),
});

/**
 * One TCP destination a listener serves. Sidecars: a TCP-family service port, reached by a
 * CONNECT to one of `domains`; gateways: a TCP server port ("tcp.<port>", domains ["*"]).
 */
export const TcpServiceSchema = z.strictObject({
  name: z.string(),
  domains: z.array(z.string()).min(1),
  port: z.number().int(),
  /** Read the ClientHello's server name before routing (Envoy's tls_inspector): some route matches sniHosts. */
  sni: z.boolean().optional(),
  /** First match wins; none matching closes the connection (Envoy: no route, flag NR). */
  routes: z.array(TcpRouteSchema),
});

/**
 * TLS termination of a Gateway server (Istio's ServerTLSSettings, the modes Skiff serves).
 * credentialName names `<credentials dir>/<name>/{tls.crt,tls.key,ca.crt}` (a Kubernetes TLS
 * secret's keys) and wins over the file paths, as in Istio.
 */
export const GatewayTlsSnapshotSchema = z
  .strictObject({
    mode: z.enum(['SIMPLE', 'MUTUAL']),
    credentialName: z.string().min(1).optional(),
    serverCertificate: z.string().min(1).optional(),
    privateKey: z.string().min(1).optional(),
    caCertificates: z.string().min(1).optional(),
  })
  .superRefine((tls, ctx) => {
    if (tls.credentialName !== undefined) return;
    if (tls.serverCertificate === undefined || tls.privateKey === undefined) ctx.addIssue({ code: 'custom', message: `tls mode ${tls.mode} needs credentialName, or serverCertificate and privateKey` });
    if (tls.mode === 'MUTUAL' && tls.caCertificates === undefined) ctx.addIssue({ code: 'custom', message: 'tls mode MUTUAL needs credentialName or caCertificates' });
  });

/**
 * One Gateway server (or several with the same port and TLS settings, hosts merged). Servers on
 * one port share its route config; a TLS port picks among its entries by SNI.
 */
export const GatewayServerSnapshotSchema = z.strictObject({
  port: z.number().int(),
  protocol: z.string(),
  hosts: z.array(z.string()),
  routeConfig: z.string(),
  /** Present when the server terminates TLS (protocol HTTPS, mode SIMPLE or MUTUAL). */
  tls: GatewayTlsSnapshotSchema.optional(),
  /** A plaintext server whose hosts answer 301 to https (Istio's tls.httpsRedirect). */
  httpsRedirect: z.boolean().optional(),
});

// ---- security: what the inbound side enforces for this proxy's workload --------------------------

/** Effective PeerAuthentication mode (UNSET already resolved through its parents). */
export const MtlsModeSchema = z.enum(['STRICT', 'PERMISSIVE', 'DISABLE']);

export const PeerAuthenticationSnapshotSchema = z.strictObject({
  mode: MtlsModeSchema,
  /** Workload port (as a string) -> mode, from the workload-level policy's portLevelMtls. */
  portLevel: z.record(z.string(), MtlsModeSchema).default({}),
  /** The policies that decided it, broadest first ("istio-system/default", "foo/finance"), for reports. */
  policies: z.array(z.string()).default([]),
});

const stringList = z.array(z.string());

/** An AuthorizationPolicy source with Istio's field names; absent fields do not constrain. */
export const AuthzSourceSchema = z.strictObject({
  principals: stringList.optional(),
  notPrincipals: stringList.optional(),
  requestPrincipals: stringList.optional(),
  notRequestPrincipals: stringList.optional(),
  namespaces: stringList.optional(),
  notNamespaces: stringList.optional(),
  ipBlocks: stringList.optional(),
  notIpBlocks: stringList.optional(),
  /** Fields Skiff cannot evaluate, named so the engine fails closed on them. */
  unevaluated: stringList.optional(),
});

export const AuthzOperationSchema = z.strictObject({
  hosts: stringList.optional(),
  notHosts: stringList.optional(),
  ports: stringList.optional(),
  notPorts: stringList.optional(),
  methods: stringList.optional(),
  notMethods: stringList.optional(),
  paths: stringList.optional(),
  notPaths: stringList.optional(),
});

export const AuthzConditionSchema = z.strictObject({
  key: z.string(),
  values: stringList.optional(),
  notValues: stringList.optional(),
});

/** One rule, normalized: `from` lists sources and `to` operations directly (Istio nests them). */
export const AuthzRuleSchema = z.strictObject({
  from: z.array(AuthzSourceSchema).optional(),
  to: z.array(AuthzOperationSchema).optional(),
  when: z.array(AuthzConditionSchema).optional(),
});

/** An AuthorizationPolicy that applies to this workload; the selector is already resolved. */
export const CompiledPolicySchema = z.strictObject({
  name: z.string(),
  namespace: z.string(),
  /** CUSTOM is never sent by configgen, but an engine given one ignores it. */
  action: z.enum(['ALLOW', 'DENY', 'AUDIT', 'CUSTOM']),
  /** Absent or empty: the policy matches nothing (an ALLOW policy then denies everything). */
  rules: z.array(AuthzRuleSchema).default([]),
});

/** A RequestAuthentication jwtRule that applies to this workload, with Istio's defaults filled in. */
export const JwtRuleSnapshotSchema = z.strictObject({
  /** "namespace/name" of the RequestAuthentication, for reports. */
  policy: z.string(),
  issuer: z.string().optional(),
  audiences: stringList.optional(),
  jwksUri: z.string().optional(),
  jwks: z.string().optional(),
  /** Where the token is looked for; Istio's default is Authorization: Bearer and ?access_token. */
  fromHeaders: z.array(z.strictObject({ name: z.string(), prefix: z.string().optional() })).default([]),
  fromParams: stringList.default([]),
  outputPayloadToHeader: z.string().optional(),
  forwardOriginalToken: z.boolean().default(false),
  outputClaimToHeaders: z.array(z.strictObject({ header: z.string(), claim: z.string() })).default([]),
});

export const SecuritySnapshotSchema = z.strictObject({
  /** The mesh's trust domain, e.g. "cluster.local"; principals are "<trust domain>/ns/<ns>/sa/<sa>". */
  trustDomain: z.string(),
  peerAuthentication: PeerAuthenticationSnapshotSchema,
  /** In a stable order: by namespace, then name. */
  authorization: z.array(CompiledPolicySchema).default([]),
  requestAuthentication: z.array(JwtRuleSnapshotSchema).default([]),
});

export const ProxySnapshotSchema = z.strictObject({
  version: z.string(),
  routeConfigs: z.array(RouteConfigSchema),
  clusters: z.array(ClusterSchema),
  gatewayServers: z.array(GatewayServerSnapshotSchema).default([]),
  /** TCP-family service ports (sidecars) and TCP server ports (gateways). */
  tcpServices: z.array(TcpServiceSchema).default([]),
  /**
   * Where a sidecar sends a host the registry does not know (MeshConfig outboundTrafficPolicy):
   * ALLOW_ANY passes it through (PassthroughCluster), REGISTRY_ONLY answers 502 (BlackHoleCluster).
   */
  outboundTrafficPolicy: z.enum(['ALLOW_ANY', 'REGISTRY_ONLY']).default('ALLOW_ANY'),
  /** Absent from control planes that predate security: then nothing is enforced (PERMISSIVE, no policies). */
  security: SecuritySnapshotSchema.optional(),
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
export type TcpMatch = z.infer<typeof TcpMatchSchema>;
export type TcpRoute = z.infer<typeof TcpRouteSchema>;
export type TcpService = z.infer<typeof TcpServiceSchema>;
export type Cluster = z.infer<typeof ClusterSchema>;
export type HashKeySource = z.infer<typeof HashKeySchema>;
export type LoadBalancerPolicy = z.infer<typeof LoadBalancerPolicySchema>;
export type ConnectionPoolPolicySnapshot = z.infer<typeof ConnectionPoolPolicySchema>;
export type OutlierDetectionPolicy = z.infer<typeof OutlierDetectionPolicySchema>;
export type ClusterPolicySnapshot = z.infer<typeof ClusterPolicySchema>;
export type OriginationTls = NonNullable<ClusterPolicySnapshot['tls']>;
export type GatewayServerSnapshot = z.infer<typeof GatewayServerSnapshotSchema>;
export type GatewayTlsSnapshot = z.infer<typeof GatewayTlsSnapshotSchema>;
export type EffectiveMtlsMode = z.infer<typeof MtlsModeSchema>;
export type PeerAuthenticationSnapshot = z.infer<typeof PeerAuthenticationSnapshotSchema>;
export type AuthzSource = z.infer<typeof AuthzSourceSchema>;
export type AuthzOperation = z.infer<typeof AuthzOperationSchema>;
export type AuthzCondition = z.infer<typeof AuthzConditionSchema>;
export type AuthzRule = z.infer<typeof AuthzRuleSchema>;
export type CompiledPolicy = z.infer<typeof CompiledPolicySchema>;
/** What configgen writes and compileAuthorization reads (defaults may be left out). */
export type CompiledPolicyInput = z.input<typeof CompiledPolicySchema>;
export type JwtRuleSnapshot = z.infer<typeof JwtRuleSnapshotSchema>;
export type JwtRuleInput = z.input<typeof JwtRuleSnapshotSchema>;
export type SecuritySnapshot = z.infer<typeof SecuritySnapshotSchema>;
export type SecuritySnapshotInput = z.input<typeof SecuritySnapshotSchema>;
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
