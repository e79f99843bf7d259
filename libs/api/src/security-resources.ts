// Istio's security resources (security.istio.io/v1 and v1beta1), named and nested exactly as
// Istio's API reference: PeerAuthentication, AuthorizationPolicy, RequestAuthentication. Only
// the fields Skiff reads are typed; schemas/security/ checks documents against these shapes.
import type { ObjectMeta } from './resources.js';

interface SecurityResource<K extends string, S> {
  apiVersion: string;
  kind: K;
  metadata: ObjectMeta;
  spec: S;
}

/** Which workloads a policy applies to; absent (or no labels): every workload in scope. */
export interface WorkloadSelector {
  matchLabels?: Record<string, string>;
}

/** A Gateway API reference. Skiff accepts it so the policy can be reported, but ignores the policy. */
export interface PolicyTargetReference {
  group?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

// ---- PeerAuthentication -------------------------------------------------------------------------

export const MTLS_MODES = ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'] as const;
export type MtlsMode = (typeof MTLS_MODES)[number];

export interface PeerAuthenticationMutualTLS {
  mode?: MtlsMode;
}

export interface PeerAuthenticationSpec {
  selector?: WorkloadSelector;
  mtls?: PeerAuthenticationMutualTLS;
  /** Workload port (as a string key, as YAML maps give it) -> its mode. Only with a selector. */
  portLevelMtls?: Record<string, PeerAuthenticationMutualTLS>;
}

// ---- AuthorizationPolicy ------------------------------------------------------------------------

export const AUTHORIZATION_ACTIONS = ['ALLOW', 'DENY', 'AUDIT', 'CUSTOM'] as const;
export type AuthorizationAction = (typeof AUTHORIZATION_ACTIONS)[number];

/** Who sent the request. Lists are ORed, fields ANDed, not* fields negate. */
export interface AuthorizationSource {
  principals?: string[];
  notPrincipals?: string[];
  requestPrincipals?: string[];
  notRequestPrincipals?: string[];
  namespaces?: string[];
  notNamespaces?: string[];
  ipBlocks?: string[];
  notIpBlocks?: string[];
  /** Istio fields Skiff cannot evaluate; kept so the engine can fail closed (see advice). */
  remoteIpBlocks?: string[];
  notRemoteIpBlocks?: string[];
  serviceAccounts?: string[];
  notServiceAccounts?: string[];
}

/** What the request does. */
export interface AuthorizationOperation {
  hosts?: string[];
  notHosts?: string[];
  ports?: string[];
  notPorts?: string[];
  methods?: string[];
  notMethods?: string[];
  paths?: string[];
  notPaths?: string[];
}

export interface AuthorizationCondition {
  /** e.g. request.headers[x-token], source.namespace, request.auth.claims[iss]. */
  key: string;
  values?: string[];
  notValues?: string[];
}

export interface AuthorizationRule {
  from?: { source: AuthorizationSource }[];
  to?: { operation: AuthorizationOperation }[];
  when?: AuthorizationCondition[];
}

export interface AuthorizationPolicySpec {
  selector?: WorkloadSelector;
  targetRef?: PolicyTargetReference;
  targetRefs?: PolicyTargetReference[];
  /** Default ALLOW. */
  action?: AuthorizationAction;
  /** Only with CUSTOM. */
  provider?: { name: string };
  rules?: AuthorizationRule[];
}

// ---- RequestAuthentication ----------------------------------------------------------------------

export interface JWTHeader {
  name: string;
  /** Stripped before the token is decoded, e.g. "Bearer ". */
  prefix?: string;
}

export interface ClaimToHeader {
  header: string;
  claim: string;
}

export interface JWTRule {
  issuer?: string;
  audiences?: string[];
  jwksUri?: string;
  /** Inline JSON Web Key Set; wins over jwksUri. */
  jwks?: string;
  fromHeaders?: JWTHeader[];
  fromParams?: string[];
  outputPayloadToHeader?: string;
  forwardOriginalToken?: boolean;
  outputClaimToHeaders?: ClaimToHeader[];
}

export interface RequestAuthenticationSpec {
  selector?: WorkloadSelector;
  targetRef?: PolicyTargetReference;
  targetRefs?: PolicyTargetReference[];
  jwtRules?: JWTRule[];
}

export type PeerAuthentication = SecurityResource<'PeerAuthentication', PeerAuthenticationSpec>;
export type AuthorizationPolicy = SecurityResource<'AuthorizationPolicy', AuthorizationPolicySpec>;
export type RequestAuthentication = SecurityResource<'RequestAuthentication', RequestAuthenticationSpec>;
export type SecurityResourceKind = 'PeerAuthentication' | 'AuthorizationPolicy' | 'RequestAuthentication';

/** Istio's default root namespace: policies here without a selector apply to the whole mesh. */
export const DEFAULT_ROOT_NAMESPACE = 'istio-system';
/** Istio's default trust domain, the first part of every SPIFFE ID. */
export const DEFAULT_TRUST_DOMAIN = 'cluster.local';
