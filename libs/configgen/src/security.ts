// The `security` section of a proxy's snapshot: its effective PeerAuthentication, the
// AuthorizationPolicies and JWT rules that apply to its workload. Sidecars and gateways alike get
// their own workload's policies. Proxies with the same namespace and labels share one result.
import type { AuthorizationPolicy, Loaded, PeerAuthentication, RequestAuthentication, SecuritySnapshotInput } from '@skiff/api';
import { authorizationFor } from './authorization.js';
import type { Warn } from './destination-rules.js';
import { WarningMemo } from './memo.js';
import { compareStrings } from './order.js';
import { resolvePeerAuthentication } from './peer-authentication.js';
import type { PolicySubject } from './policy-scope.js';
import { jwtRulesFor } from './request-authentication.js';

export interface SecurityOptions {
  trustDomain: string;
  rootNamespace: string;
}

export interface SecurityIndex {
  securityFor(subject: PolicySubject, warn: Warn): SecuritySnapshotInput;
}

/** `spiffe://<trust domain>/ns/<namespace>/sa/<service account>`, Istio's workload identity. */
export function workloadIdentity(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

export function indexSecurity(resources: readonly Loaded[], options: SecurityOptions): SecurityIndex {
  const peer = resources.filter((r): r is Loaded<PeerAuthentication> => r.kind === 'PeerAuthentication');
  const authz = resources.filter((r): r is Loaded<AuthorizationPolicy> => r.kind === 'AuthorizationPolicy');
  const jwt = resources.filter((r): r is Loaded<RequestAuthentication> => r.kind === 'RequestAuthentication');
  const memo = new WarningMemo<SecuritySnapshotInput>();
  return {
    securityFor(subject, warn) {
      const labels = JSON.stringify(Object.keys(subject.labels).sort(compareStrings).map((k) => [k, subject.labels[k]]));
      return memo.get(`${subject.namespace}\n${labels}`, warn, (w) => ({
        trustDomain: options.trustDomain,
        peerAuthentication: resolvePeerAuthentication(peer, subject, options.rootNamespace, w),
        authorization: authorizationFor(authz, subject, options.rootNamespace, w),
        requestAuthentication: jwtRulesFor(jwt, subject, options.rootNamespace),
      }));
    },
  };
}
