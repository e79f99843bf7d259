// Warnings about valid security resources that will not do what they look like: parts Skiff
// cannot enforce, and values that can never match. Run after a document parsed cleanly; each
// names the field it is about.
import type { AuthorizationPolicySpec, AuthorizationRule, PeerAuthenticationSpec, RequestAuthenticationSpec } from '../../security-resources.js';
import { parseConditionKey } from '../../security/condition-key.js';
import { isPathTemplate } from '../../security/path-template.js';
import { isEmptySelector } from './common.js';
import type { DestinationRuleSpec } from '../../resources.js';
import { destinationRuleAdvice } from '../destination-rule.js';

export interface Advice {
  /** Path from the document root, e.g. ["spec", "action"]. */
  path: PropertyKey[];
  message: string;
}

/** How the engine treats what it cannot evaluate, said once for every such warning. */
export const FAIL_CLOSED =
  'in ALLOW and AUDIT rules it never matches, in DENY rules it always matches (fail closed, as Istio does for fields a protocol lacks)';

const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];

/** A "*" anywhere but at the start or end is not a wildcard in Istio's string matching. */
function hasInnerStar(value: string): boolean {
  return value.length > 2 && value.slice(1, -1).includes('*');
}

function selectorAdvice(spec: { selector?: unknown }): Advice[] {
  return isEmptySelector(spec.selector) ? [{ path: ['spec', 'selector'], message: 'workload selector without labels: the policy applies to every workload in its scope' }] : [];
}

function targetRefAdvice(spec: { targetRef?: unknown; targetRefs?: unknown }): Advice[] {
  const field = spec.targetRef !== undefined ? 'targetRef' : spec.targetRefs !== undefined ? 'targetRefs' : undefined;
  if (field === undefined) return [];
  return [{ path: ['spec', field], message: `${field} selects Gateway API gateways and waypoints, which Skiff does not have; this policy is ignored (use selector)` }];
}

function ruleAdvice(rule: AuthorizationRule, at: PropertyKey[]): Advice[] {
  const out: Advice[] = [];
  const literalStar = (values: readonly string[] | undefined, path: PropertyKey[]) =>
    values?.forEach((v, i) => {
      if (hasInnerStar(v) && !isPathTemplate(v)) out.push({ path: [...path, i], message: `"*" is a wildcard only at the start or end of a value; in ${JSON.stringify(v)} it is matched literally` });
    });
  rule.from?.forEach(({ source }, f) => {
    const src = [...at, 'from', f, 'source'];
    for (const field of ['remoteIpBlocks', 'notRemoteIpBlocks', 'serviceAccounts', 'notServiceAccounts'] as const) {
      if (source[field] !== undefined) out.push({ path: [...src, field], message: `Skiff does not evaluate ${field}; ${FAIL_CLOSED}` });
    }
    for (const field of ['principals', 'notPrincipals'] as const) {
      source[field]?.forEach((p, i) => {
        if (p.startsWith('spiffe://')) out.push({ path: [...src, field, i], message: `write principals without "spiffe://", as in "cluster.local/ns/default/sa/sleep"; ${JSON.stringify(p)} never matches` });
      });
      literalStar(source[field], [...src, field]);
    }
    for (const field of ['requestPrincipals', 'notRequestPrincipals', 'namespaces', 'notNamespaces'] as const) literalStar(source[field], [...src, field]);
  });
  rule.to?.forEach(({ operation }, t) => {
    const op = [...at, 'to', t, 'operation'];
    for (const field of ['methods', 'notMethods'] as const) {
      operation[field]?.forEach((m, i) => {
        const upper = m.toUpperCase();
        if (m !== upper && HTTP_METHODS.includes(upper)) out.push({ path: [...op, field, i], message: `methods match case-sensitively and HTTP methods are uppercase; did you mean ${JSON.stringify(upper)}?` });
      });
    }
    for (const field of ['paths', 'notPaths'] as const) {
      operation[field]?.forEach((p, i) => {
        if (p.includes('?')) out.push({ path: [...op, field, i], message: `paths are compared without the query string, so ${JSON.stringify(p)} never matches; drop the "?..." part` });
      });
      literalStar(operation[field], [...op, field]);
    }
    for (const field of ['hosts', 'notHosts', 'methods', 'notMethods'] as const) literalStar(operation[field], [...op, field]);
  });
  rule.when?.forEach((cond, w) => {
    const parsed = parseConditionKey(cond.key);
    if (parsed.ok && parsed.key.attribute === 'unevaluated') out.push({ path: [...at, 'when', w, 'key'], message: `${parsed.key.why}; ${FAIL_CLOSED}` });
  });
  return out;
}

function authorizationAdvice(spec: AuthorizationPolicySpec): Advice[] {
  const out = [...selectorAdvice(spec), ...targetRefAdvice(spec)];
  if (spec.action === 'CUSTOM') {
    out.push({ path: ['spec', 'action'], message: 'action CUSTOM (external authorization) is not supported by Skiff; this policy is ignored' });
    return out;
  }
  spec.rules?.forEach((rule, r) => out.push(...ruleAdvice(rule, ['spec', 'rules', r])));
  return out;
}

/** Warnings for a parsed resource of any kind. */
export function adviseResource(resource: { kind: string; spec: unknown }): Advice[] {
  switch (resource.kind) {
    case 'PeerAuthentication':
      return selectorAdvice(resource.spec as PeerAuthenticationSpec);
    case 'AuthorizationPolicy':
      return authorizationAdvice(resource.spec as AuthorizationPolicySpec);
    case 'RequestAuthentication':
      return [...selectorAdvice(resource.spec as RequestAuthenticationSpec), ...targetRefAdvice(resource.spec as RequestAuthenticationSpec)];
    case 'DestinationRule':
      return destinationRuleAdvice(resource.spec as DestinationRuleSpec);
    default:
      return [];
  }
}
