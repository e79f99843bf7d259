// The AuthorizationPolicies that apply to one workload, in the normalized form the proxy's
// engine (@skiff/security) compiles: Istio's `from[].source` and `to[].operation` nesting is
// flattened, and source fields Skiff cannot evaluate are named in `unevaluated` so the engine
// can fail closed on them. CUSTOM policies are left out (Skiff has no external authorizer) and
// reported; policies bound by targetRef(s) select Gateway API objects and never reach a sidecar.
import type { AuthorizationPolicy, AuthorizationRule, AuthorizationSource, AuthzRule, AuthzSource, CompiledPolicyInput, Loaded } from '@skiff/api';
import { describeResource } from './describe.js';
import type { Warn } from './destination-rules.js';
import { policiesInScope, usesTargetRefs, type PolicySubject } from './policy-scope.js';

const EVALUATED_SOURCE_FIELDS = ['principals', 'notPrincipals', 'requestPrincipals', 'notRequestPrincipals', 'namespaces', 'notNamespaces', 'ipBlocks', 'notIpBlocks'] as const;
const UNEVALUATED_SOURCE_FIELDS = ['remoteIpBlocks', 'notRemoteIpBlocks', 'serviceAccounts', 'notServiceAccounts'] as const;

function normalizeSource(source: AuthorizationSource): AuthzSource {
  const out: AuthzSource = {};
  for (const field of EVALUATED_SOURCE_FIELDS) if (source[field] !== undefined) out[field] = [...(source[field] as string[])];
  const unevaluated = UNEVALUATED_SOURCE_FIELDS.filter((f) => source[f] !== undefined);
  if (unevaluated.length > 0) out.unevaluated = unevaluated;
  return out;
}

export function normalizeRule(rule: AuthorizationRule): AuthzRule {
  const out: AuthzRule = {};
  if (rule.from) out.from = rule.from.map((f) => normalizeSource(f.source));
  if (rule.to) out.to = rule.to.map((t) => structuredClone(t.operation));
  if (rule.when) out.when = rule.when.map((c) => structuredClone(c));
  return out;
}

export function authorizationFor(policies: readonly Loaded<AuthorizationPolicy>[], subject: PolicySubject, rootNamespace: string, warn: Warn): CompiledPolicyInput[] {
  const out: CompiledPolicyInput[] = [];
  for (const policy of policiesInScope(policies, subject, rootNamespace)) {
    if (usesTargetRefs(policy.spec)) continue;
    const action = policy.spec.action ?? 'ALLOW';
    if (action === 'CUSTOM') {
      warn(`${describeResource(policy)} has action CUSTOM (external authorization), which Skiff does not support: it is not enforced on workloads in namespace ${subject.namespace} it selects.`);
      continue;
    }
    out.push({ name: policy.metadata.name, namespace: policy.metadata.namespace, action, rules: (policy.spec.rules ?? []).map(normalizeRule) });
  }
  return out;
}
