// Istio's authorization decision for one workload, over the AuthorizationPolicies configgen put
// in its snapshot. Compiled once per push; evaluate() runs per request:
//   1. CUSTOM policies are ignored (Skiff has no external authorizer; validation warns).
//   2. Any matching DENY rule denies.
//   3. With no ALLOW policy for the workload, the request is allowed.
//   4. Otherwise it must match a rule of some ALLOW policy; an ALLOW policy without rules
//      matches nothing (so alone it denies everything), an empty rule {} matches everything.
// AUDIT policies never change the decision; a match is reported so it can be logged.
// For TCP connections (`forTcp`) a rule naming HTTP-only fields is read as Istio builds its TCP
// filter: an ALLOW rule never matches; a DENY or AUDIT rule ignores those fields.
import type { CompiledPolicyInput } from '@skiff/api';
import { compileRule, usesHttpOnlyFields, withoutHttpOnlyFields, type RequestPredicate } from './compile-rule.js';
import { readAttributes, type AuthzRequest } from './request.js';

export interface AuthzDecision {
  allowed: boolean;
  /** The action of the policy that decided; AUDIT when only an AUDIT policy matched. */
  action?: 'DENY' | 'ALLOW' | 'AUDIT';
  /** "namespace/name" of that policy. */
  policy?: string;
  /** Index of the matching rule in that policy's rules. */
  rule?: number;
  /** Set when an AUDIT policy matched (the request should be audited). */
  audit?: { policy: string; rule: number };
  /** For logs and `skiff`: names the policy and rule, or why none decided. */
  reason: string;
}

export interface AuthorizationEngine {
  evaluate(request: AuthzRequest): AuthzDecision;
  /** Policies by action, "namespace/name", in evaluation order (CUSTOM left out). */
  readonly policies: { readonly deny: readonly string[]; readonly allow: readonly string[]; readonly audit: readonly string[] };
}

interface CompiledPolicy {
  key: string;
  rules: RequestPredicate[];
}

const never: RequestPredicate = () => false;

function compilePolicy(policy: CompiledPolicyInput, forTcp: boolean): CompiledPolicy {
  const key = `${policy.namespace}/${policy.name}`;
  const unevaluated = policy.action === 'DENY';
  return {
    key,
    rules: (policy.rules ?? []).map((rule, i) => {
      const where = `AuthorizationPolicy ${key} rules[${i}]`;
      if (!forTcp || !usesHttpOnlyFields(rule)) return compileRule(rule, where, unevaluated);
      return policy.action === 'ALLOW' ? never : compileRule(withoutHttpOnlyFields(rule), where, unevaluated);
    }),
  };
}

function firstMatch(policies: readonly CompiledPolicy[], attrs: ReturnType<typeof readAttributes>): { policy: string; rule: number } | undefined {
  for (const p of policies) {
    const rule = p.rules.findIndex((r) => r(attrs));
    if (rule >= 0) return { policy: p.key, rule };
  }
  return undefined;
}

/** Compiles the policies once; throws a PolicyCompileError naming policy, rule and field when one cannot be compiled. */
export function compileAuthorization(policies: readonly CompiledPolicyInput[], options: { forTcp?: boolean } = {}): AuthorizationEngine {
  const forTcp = options.forTcp === true;
  const deny = policies.filter((p) => p.action === 'DENY').map((p) => compilePolicy(p, forTcp));
  const allow = policies.filter((p) => p.action === 'ALLOW').map((p) => compilePolicy(p, forTcp));
  const audit = policies.filter((p) => p.action === 'AUDIT').map((p) => compilePolicy(p, forTcp));
  const allowNames = allow.map((p) => (p.rules.length === 0 ? `${p.key} (no rules: allows nothing)` : p.key));

  return {
    policies: { deny: deny.map((p) => p.key), allow: allow.map((p) => p.key), audit: audit.map((p) => p.key) },
    evaluate(request) {
      const attrs = readAttributes(request);
      const audited = audit.length > 0 ? firstMatch(audit, attrs) : undefined;
      const withAudit = (d: AuthzDecision): AuthzDecision =>
        audited ? { ...d, audit: audited, reason: `${d.reason}; audited by AUDIT policy ${audited.policy} rules[${audited.rule}]` } : d;

      const denied = firstMatch(deny, attrs);
      if (denied) return withAudit({ allowed: false, action: 'DENY', ...denied, reason: `denied by DENY policy ${denied.policy} rules[${denied.rule}]` });
      if (allow.length === 0) {
        const base: AuthzDecision = { allowed: true, reason: 'allowed: no ALLOW policy applies to this workload' };
        return audited ? withAudit({ ...base, action: 'AUDIT', ...audited }) : base;
      }
      const allowed = firstMatch(allow, attrs);
      if (allowed) return withAudit({ allowed: true, action: 'ALLOW', ...allowed, reason: `allowed by ALLOW policy ${allowed.policy} rules[${allowed.rule}]` });
      return withAudit({ allowed: false, reason: `denied: no rule of the ALLOW policies for this workload matched (${allowNames.join(', ')})` });
    },
  };
}
