// The JWT rules that apply to one workload (RequestAuthentications in the root namespace and in
// the workload's namespace whose selector matches), with Istio's default token locations made
// explicit: without fromHeaders and fromParams, a token is read from "Authorization: Bearer ..."
// and from the access_token query parameter.
import type { JwtRuleInput, Loaded, RequestAuthentication } from '@skiff/api';
import { resourceKey } from './describe.js';
import { policiesInScope, usesTargetRefs, type PolicySubject } from './policy-scope.js';

export const DEFAULT_JWT_HEADERS = [{ name: 'Authorization', prefix: 'Bearer ' }];
export const DEFAULT_JWT_PARAMS = ['access_token'];

export function jwtRulesFor(policies: readonly Loaded<RequestAuthentication>[], subject: PolicySubject, rootNamespace: string): JwtRuleInput[] {
  const out: JwtRuleInput[] = [];
  for (const policy of policiesInScope(policies, subject, rootNamespace)) {
    if (usesTargetRefs(policy.spec)) continue;
    for (const rule of policy.spec.jwtRules ?? []) {
      const explicitLocations = rule.fromHeaders !== undefined || rule.fromParams !== undefined;
      const entry: JwtRuleInput = {
        policy: resourceKey(policy),
        ...structuredClone(rule),
        fromHeaders: explicitLocations ? structuredClone(rule.fromHeaders ?? []) : structuredClone(DEFAULT_JWT_HEADERS),
        fromParams: explicitLocations ? [...(rule.fromParams ?? [])] : [...DEFAULT_JWT_PARAMS],
        forwardOriginalToken: rule.forwardOriginalToken ?? false,
      };
      out.push(entry);
    }
  }
  return out;
}
