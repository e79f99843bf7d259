// Turns one normalized AuthorizationPolicy rule into a predicate over a request, once per
// snapshot. Istio's logic: from, to and when are ANDed; entries of `from` (and of `to`) are ORed;
// fields inside one source or operation are ANDed; the values of one field are ORed; a not* field
// matches when none of its values does. Parts Skiff cannot evaluate take a fixed result chosen by
// the caller (fail closed: false in ALLOW rules, true in DENY rules).
import { compilePathTemplate, ipInBlock, isPathTemplate, parseConditionKey, parseIpAddress, parseIpBlock, type AuthzCondition, type AuthzOperation, type AuthzRule, type AuthzSource, type IpBlock } from '@skiff/api';
import type { RequestAttributes } from './request.js';
import { compileAnyOf, compileStringMatch, type ValueMatcher } from './string-match.js';

export type RequestPredicate = (attrs: RequestAttributes) => boolean;

/** Where a compile error is, for messages: "default/allow-get rules[0].from[1].ipBlocks[2]". */
export class PolicyCompileError extends Error {}

const always: RequestPredicate = () => true;

function all(preds: readonly RequestPredicate[]): RequestPredicate {
  if (preds.length === 0) return always;
  return (a) => preds.every((p) => p(a));
}

function any(preds: readonly RequestPredicate[]): RequestPredicate {
  return (a) => preds.some((p) => p(a));
}

/** `values` (any matches) and `notValues` (none matches) over an attribute with 0..n values. */
function valueField(values: readonly string[] | undefined, notValues: readonly string[] | undefined, read: (a: RequestAttributes) => readonly string[], compile?: (p: string) => ValueMatcher): RequestPredicate[] {
  const out: RequestPredicate[] = [];
  if (values !== undefined) {
    const m = compileAnyOf(values, compile);
    out.push((a) => read(a).some((v) => m(v)));
  }
  if (notValues !== undefined) {
    const m = compileAnyOf(notValues, compile);
    out.push((a) => !read(a).some((v) => m(v)));
  }
  return out;
}

const one = (v: string | undefined): readonly string[] => (v === undefined ? [] : [v]);

function blocks(list: readonly string[], where: string): IpBlock[] {
  return list.map((s, i) => {
    const b = parseIpBlock(s);
    if (!b) throw new PolicyCompileError(`${where}[${i}]: ${JSON.stringify(s)} is not an IP address or CIDR range`);
    return b;
  });
}

function ipField(values: readonly string[] | undefined, notValues: readonly string[] | undefined, where: string, read: (a: RequestAttributes) => string | undefined): RequestPredicate[] {
  const inAny = (list: IpBlock[]) => (a: RequestAttributes) => {
    const raw = read(a);
    const ip = raw === undefined ? undefined : parseIpAddress(raw);
    return ip !== undefined && list.some((b) => ipInBlock(ip, b));
  };
  const out: RequestPredicate[] = [];
  if (values !== undefined) out.push(inAny(blocks(values, where)));
  if (notValues !== undefined) {
    const inNot = inAny(blocks(notValues, `${where} (not)`));
    out.push((a) => !inNot(a));
  }
  return out;
}

function pathMatcher(pattern: string): ValueMatcher {
  if (!isPathTemplate(pattern)) return compileStringMatch(pattern);
  const re = compilePathTemplate(pattern);
  return (v) => v !== undefined && re.test(v);
}

function compileSource(src: AuthzSource, where: string, unevaluated: boolean): RequestPredicate {
  return all([
    ...valueField(src.principals, src.notPrincipals, (a) => one(a.principal)),
    ...valueField(src.requestPrincipals, src.notRequestPrincipals, (a) => one(a.requestPrincipal)),
    ...valueField(src.namespaces, src.notNamespaces, (a) => one(a.namespace)),
    ...ipField(src.ipBlocks, src.notIpBlocks, `${where}.ipBlocks`, (a) => a.sourceIp),
    ...(src.unevaluated?.length ? [() => unevaluated] : []),
  ]);
}

function compileOperation(op: AuthzOperation): RequestPredicate {
  const host = (p: string) => compileStringMatch(p, { ignoreCase: true });
  return all([
    ...valueField(op.hosts, op.notHosts, (a) => [a.host, a.hostWithoutPort], host),
    ...valueField(op.ports, op.notPorts, (a) => [a.port]),
    ...valueField(op.methods, op.notMethods, (a) => [a.method]),
    ...valueField(op.paths, op.notPaths, (a) => [a.path], pathMatcher),
  ]);
}

function compileCondition(cond: AuthzCondition, where: string, unevaluated: boolean): RequestPredicate {
  const parsed = parseConditionKey(cond.key);
  if (!parsed.ok) throw new PolicyCompileError(`${where}.key: ${parsed.message}`);
  const key = parsed.key;
  const field = (read: (a: RequestAttributes) => readonly string[]) => all(valueField(cond.values, cond.notValues, read));
  switch (key.attribute) {
    case 'request.headers':
      return field((a) => a.header(key.header) ?? []);
    case 'source.ip':
      return all(ipField(cond.values, cond.notValues, `${where}.values`, (a) => a.sourceIp));
    case 'source.namespace':
      return field((a) => one(a.namespace));
    case 'source.principal':
      return field((a) => one(a.principal));
    case 'request.auth.principal':
      return field((a) => one(a.requestPrincipal));
    case 'request.auth.audiences':
      return field((a) => a.audiences);
    case 'request.auth.presenter':
      return field((a) => one(a.presenter));
    case 'request.auth.claims':
      return field((a) => a.claim(key.claims) ?? []);
    case 'destination.port':
      return field((a) => [a.port]);
    case 'unevaluated':
      return () => unevaluated;
  }
}

// Fields that only an HTTP request has. Istio (pilot/pkg/security/authz/model/model.go, the
// generators' forTCP errors and checkError) drops an ALLOW rule that names one when building the
// TCP filter, so it never matches; in DENY and AUDIT rules the field alone is dropped, so the
// rule matches more connections.
const HTTP_ONLY_SOURCE = ['requestPrincipals', 'notRequestPrincipals'] as const;
const HTTP_ONLY_OPERATION = ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths'] as const;
const HTTP_ONLY_CONDITIONS = new Set(['request.headers', 'request.auth.principal', 'request.auth.audiences', 'request.auth.presenter', 'request.auth.claims']);

function isHttpOnlyCondition(cond: AuthzCondition): boolean {
  const parsed = parseConditionKey(cond.key);
  return parsed.ok && HTTP_ONLY_CONDITIONS.has(parsed.key.attribute);
}

/** Does the rule name a field a TCP connection does not have? */
export function usesHttpOnlyFields(rule: AuthzRule): boolean {
  return (
    (rule.from ?? []).some((s) => HTTP_ONLY_SOURCE.some((f) => s[f] !== undefined)) ||
    (rule.to ?? []).some((o) => HTTP_ONLY_OPERATION.some((f) => o[f] !== undefined)) ||
    (rule.when ?? []).some(isHttpOnlyCondition)
  );
}

/** The rule with its HTTP-only fields removed (what a DENY or AUDIT rule means for TCP). */
export function withoutHttpOnlyFields(rule: AuthzRule): AuthzRule {
  const out: AuthzRule = {};
  if (rule.from) out.from = rule.from.map((s) => Object.fromEntries(Object.entries(s).filter(([k]) => !(HTTP_ONLY_SOURCE as readonly string[]).includes(k))) as AuthzSource);
  if (rule.to) out.to = rule.to.map((o) => Object.fromEntries(Object.entries(o).filter(([k]) => !(HTTP_ONLY_OPERATION as readonly string[]).includes(k))) as AuthzOperation);
  if (rule.when) out.when = rule.when.filter((c) => !isHttpOnlyCondition(c));
  return out;
}

/**
 * @param unevaluated what a part Skiff cannot evaluate counts as: false for ALLOW and AUDIT
 *   (the rule never matches), true for DENY (the part is ignored, so the rule denies more).
 */
export function compileRule(rule: AuthzRule, where: string, unevaluated: boolean): RequestPredicate {
  const parts: RequestPredicate[] = [];
  if (rule.from !== undefined) parts.push(any(rule.from.map((s, i) => compileSource(s, `${where}.from[${i}]`, unevaluated))));
  if (rule.to !== undefined) parts.push(any(rule.to.map(compileOperation)));
  for (const [i, cond] of (rule.when ?? []).entries()) parts.push(compileCondition(cond, `${where}.when[${i}]`, unevaluated));
  return all(parts);
}
