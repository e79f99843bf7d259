// Istio-shaped resource types, named and nested exactly as Istio's API reference
// (networking.istio.io/v1; the security.istio.io kinds are in security-resources.ts). Only the
// fields Skiff implements are typed here; the zod schemas in schemas/ check documents against
// these shapes and report anything else.
import type { AuthorizationPolicy, PeerAuthentication, RequestAuthentication } from './security-resources.js';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export type StringMatch = { exact: string } | { prefix: string } | { regex: string };

export interface HTTPMatchRequest {
  name?: string;
  uri?: StringMatch;
  scheme?: StringMatch;
  method?: StringMatch;
  authority?: StringMatch;
  headers?: Record<string, StringMatch | Record<string, never>>;
  withoutHeaders?: Record<string, StringMatch | Record<string, never>>;
  queryParams?: Record<string, StringMatch>;
  port?: number;
  sourceLabels?: Record<string, string>;
  gateways?: string[];
  sourceNamespace?: string;
  ignoreUriCase?: boolean;
}

export interface PortSelector {
  number: number;
}

export interface Destination {
  host: string;
  subset?: string;
  port?: PortSelector;
}

export interface HeaderOperations {
  set?: Record<string, string>;
  add?: Record<string, string>;
  remove?: string[];
}

export interface Headers {
  request?: HeaderOperations;
  response?: HeaderOperations;
}

export interface HTTPRouteDestination {
  destination: Destination;
  weight?: number;
  headers?: Headers;
}

export interface Percent {
  value: number;
}

export interface HTTPRetry {
  attempts: number;
  perTryTimeout?: string;
  retryOn?: string;
  retryRemoteLocalities?: boolean;
}

export interface HTTPFaultInjection {
  delay?: { fixedDelay: string; percentage?: Percent };
  abort?: { httpStatus?: number; grpcStatus?: string; percentage?: Percent };
}

export interface HTTPRewrite {
  uri?: string;
  authority?: string;
}

export interface HTTPRedirect {
  uri?: string;
  authority?: string;
  port?: number;
  scheme?: string;
  redirectCode?: number;
}

export interface HTTPRoute {
  name?: string;
  match?: HTTPMatchRequest[];
  route?: HTTPRouteDestination[];
  redirect?: HTTPRedirect;
  rewrite?: HTTPRewrite;
  timeout?: string;
  retries?: HTTPRetry;
  fault?: HTTPFaultInjection;
  mirror?: Destination;
  mirrorPercentage?: Percent;
  headers?: Headers;
}

/** Istio's L4MatchAttributes: what a tcp route matches on. */
export interface L4MatchAttributes {
  destinationSubnets?: string[];
  port?: number;
  sourceLabels?: Record<string, string>;
  gateways?: string[];
  sourceNamespace?: string;
}

export interface RouteDestination {
  destination: Destination;
  weight?: number;
}

export interface TCPRoute {
  match?: L4MatchAttributes[];
  route: RouteDestination[];
}

/** Istio's TLSMatchAttributes: a tls route matches the ClientHello's server name, and the connection. */
export interface TLSMatchAttributes {
  sniHosts: string[];
  destinationSubnets?: string[];
  port?: number;
  sourceLabels?: Record<string, string>;
  gateways?: string[];
  sourceNamespace?: string;
}

export interface TLSRoute {
  match: TLSMatchAttributes[];
  route: RouteDestination[];
}

export interface VirtualServiceSpec {
  hosts: string[];
  gateways?: string[];
  http?: HTTPRoute[];
  tls?: TLSRoute[];
  tcp?: TCPRoute[];
  exportTo?: string[];
}

export interface LoadBalancerSettings {
  simple?: 'UNSPECIFIED' | 'LEAST_REQUEST' | 'RANDOM' | 'PASSTHROUGH' | 'ROUND_ROBIN' | 'LEAST_CONN';
  consistentHash?: {
    httpHeaderName?: string;
    httpCookie?: { name: string; path?: string; ttl?: string };
    useSourceIp?: boolean;
    httpQueryParameterName?: string;
  };
}

export interface ConnectionPoolSettings {
  tcp?: { maxConnections?: number; connectTimeout?: string };
  http?: { http1MaxPendingRequests?: number; http2MaxRequests?: number; maxRequestsPerConnection?: number; maxRetries?: number; idleTimeout?: string; h2UpgradePolicy?: 'DEFAULT' | 'DO_NOT_UPGRADE' | 'UPGRADE' };
}

export interface OutlierDetection {
  consecutive5xxErrors?: number;
  consecutiveGatewayErrors?: number;
  interval?: string;
  baseEjectionTime?: string;
  maxEjectionPercent?: number;
  minHealthPercent?: number;
}

/** Istio's ClientTLSSettings: mutual TLS inside the mesh, or TLS the sidecar originates to a destination. */
export interface ClientTLSSettings {
  mode: 'DISABLE' | 'SIMPLE' | 'MUTUAL' | 'ISTIO_MUTUAL';
  clientCertificate?: string;
  privateKey?: string;
  caCertificates?: string;
  credentialName?: string;
  subjectAltNames?: string[];
  sni?: string;
  insecureSkipVerify?: boolean;
}

export interface PortTrafficPolicy {
  port: { number: number };
  loadBalancer?: LoadBalancerSettings;
  connectionPool?: ConnectionPoolSettings;
  outlierDetection?: OutlierDetection;
  tls?: ClientTLSSettings;
}

export interface TrafficPolicy {
  loadBalancer?: LoadBalancerSettings;
  connectionPool?: ConnectionPoolSettings;
  outlierDetection?: OutlierDetection;
  tls?: ClientTLSSettings;
  portLevelSettings?: PortTrafficPolicy[];
}

/** Istio's ServicePort, as a ServiceEntry lists them. */
export interface ServicePort {
  number: number;
  protocol: string;
  name: string;
  targetPort?: number;
}

/** An endpoint of a ServiceEntry (Istio's WorkloadEntry, inline). */
export interface ServiceEntryEndpoint {
  address: string;
  /** Port name -> the port the endpoint listens on. */
  ports?: Record<string, number>;
  labels?: Record<string, string>;
  serviceAccount?: string;
}

export interface ServiceEntrySpec {
  hosts: string[];
  addresses?: string[];
  ports?: ServicePort[];
  location?: 'MESH_EXTERNAL' | 'MESH_INTERNAL';
  resolution?: 'NONE' | 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN';
  endpoints?: ServiceEntryEndpoint[];
  exportTo?: string[];
  /** The workloads that serve these hosts, by their labels (in the entry's namespace). */
  workloadSelector?: { labels: Record<string, string> };
}

export interface Subset {
  name: string;
  labels?: Record<string, string>;
  trafficPolicy?: TrafficPolicy;
}

export interface DestinationRuleSpec {
  host: string;
  trafficPolicy?: TrafficPolicy;
  subsets?: Subset[];
  exportTo?: string[];
}

export interface GatewayServer {
  port: { number: number; name?: string; protocol: string; targetPort?: number };
  hosts: string[];
  name?: string;
  tls?: { mode?: 'PASSTHROUGH' | 'SIMPLE' | 'MUTUAL' | 'AUTO_PASSTHROUGH' | 'ISTIO_MUTUAL'; credentialName?: string; serverCertificate?: string; privateKey?: string; caCertificates?: string; httpsRedirect?: boolean };
}

export interface GatewaySpec {
  selector?: Record<string, string>;
  servers: GatewayServer[];
}

interface Resource<K extends string, S> {
  apiVersion: string;
  kind: K;
  metadata: ObjectMeta;
  spec: S;
}

export type VirtualService = Resource<'VirtualService', VirtualServiceSpec>;
export type DestinationRule = Resource<'DestinationRule', DestinationRuleSpec>;
export type Gateway = Resource<'Gateway', GatewaySpec>;
export type ServiceEntry = Resource<'ServiceEntry', ServiceEntrySpec>;
/**
 * The mesh-wide settings Skiff reads from Istio's MeshConfig: the `mesh` key of the ConfigMap
 * `istio` in `istio-system`, as istiod reads it (a file in the config directory holds that
 * ConfigMap). Only what Skiff implements is here; mesh-config.ts reads the ConfigMap into it.
 */
export interface MeshConfigSpec {
  outboundTrafficPolicy?: { mode: 'ALLOW_ANY' | 'REGISTRY_ONLY' };
}

/** Held as kind MeshConfig, metadata istio-system/istio; written by users as that ConfigMap. */
export type MeshConfig = Resource<'MeshConfig', MeshConfigSpec>;
export type MeshResource = VirtualService | DestinationRule | Gateway | ServiceEntry | PeerAuthentication | AuthorizationPolicy | RequestAuthentication | MeshConfig;
export type MeshKind = MeshResource['kind'];
/** The kinds users write as themselves (each has a CRD); MeshConfig comes from a ConfigMap. */
export type IstioKind = Exclude<MeshKind, 'MeshConfig'>;

/** Where a resource came from, so every message can point back at it. */
export interface SourceRef {
  file: string;
  /** 1-based line of the document's start in the file. */
  line: number;
}

/** A resource that passed validation, with its namespace filled in (default: "default"). */
export type Loaded<R extends MeshResource = MeshResource> = R & { metadata: ObjectMeta & { namespace: string }; source: SourceRef };

export interface ValidationIssue {
  severity: 'error' | 'warning';
  file: string;
  line: number;
  /** "VirtualService default/reviews", or "(document 2)" when the document has no kind/name. */
  resource: string;
  /** Dotted path inside the document, e.g. "spec.http[0].route[1].weight". */
  field: string;
  message: string;
}
