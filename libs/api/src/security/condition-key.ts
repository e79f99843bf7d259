// The grammar of AuthorizationPolicy `when[].key`, as Istio's reference "Authorization Policy
// Conditions" lists it. Shared by validation (api) and the policy engine (security) so that what
// passes validation is exactly what the engine understands.
import { closest } from '../suggest.js';
import { ipBlockProblem } from './ip.js';

/** Keys Skiff evaluates. */
export type EvaluatedConditionKey =
  | { attribute: 'request.headers'; header: string }
  | { attribute: 'source.ip' }
  | { attribute: 'source.namespace' }
  | { attribute: 'source.principal' }
  | { attribute: 'request.auth.principal' }
  | { attribute: 'request.auth.audiences' }
  | { attribute: 'request.auth.presenter' }
  /** claims[a][b] reads claim b inside claim a. */
  | { attribute: 'request.auth.claims'; claims: string[] }
  | { attribute: 'destination.port' };

/** Keys Istio knows but Skiff cannot evaluate; rules using them fail closed (see the engine). */
export interface UnevaluatedConditionKey {
  attribute: 'unevaluated';
  key: string;
  why: string;
}

export type ConditionKey = EvaluatedConditionKey | UnevaluatedConditionKey;

export type ParsedConditionKey = { ok: true; key: ConditionKey } | { ok: false; message: string };

const SIMPLE_KEYS = ['source.ip', 'source.namespace', 'source.principal', 'request.auth.principal', 'request.auth.audiences', 'request.auth.presenter', 'destination.port'] as const;

const UNEVALUATED: Record<string, string> = {
  'remote.ip': 'Skiff does not track the original client address (X-Forwarded-For, PROXY protocol)',
  'destination.ip': 'Skiff does not pass the destination address to authorization',
  'connection.sni': 'Skiff does not pass the TLS server name to authorization',
  'source.serviceAccount': 'Skiff does not evaluate source.serviceAccount; use source.principal',
};

/** Every key name a user might mean, for "did you mean". */
export const CONDITION_KEY_NAMES = [
  ...SIMPLE_KEYS,
  'request.headers[<name>]',
  'request.auth.claims[<name>]',
  ...Object.keys(UNEVALUATED),
] as const;

const HEADERS = /^request\.headers\[([^[\]]+)\]$/;
const CLAIMS = /^request\.auth\.claims((?:\[[^[\]]+\])+)$/;

function bracketProblem(key: string, prefix: string): string {
  return `bad key ${JSON.stringify(key)}: write ${prefix}[name], with the name in brackets and no quotes`;
}

export function parseConditionKey(key: string): ParsedConditionKey {
  if (key === '') return { ok: false, message: 'key must not be empty' };
  if ((SIMPLE_KEYS as readonly string[]).includes(key)) return { ok: true, key: { attribute: key as (typeof SIMPLE_KEYS)[number] } };
  if (key.startsWith('request.headers')) {
    const m = HEADERS.exec(key);
    return m ? { ok: true, key: { attribute: 'request.headers', header: (m[1] as string).toLowerCase() } } : { ok: false, message: bracketProblem(key, 'request.headers') };
  }
  if (key.startsWith('request.auth.claims')) {
    const m = CLAIMS.exec(key);
    if (!m) return { ok: false, message: `${bracketProblem(key, 'request.auth.claims')} (nested claims as request.auth.claims[a][b])` };
    const claims = (m[1] as string).slice(1, -1).split('][');
    return { ok: true, key: { attribute: 'request.auth.claims', claims } };
  }
  const why = UNEVALUATED[key];
  if (why !== undefined) return { ok: true, key: { attribute: 'unevaluated', key, why } };
  if (key.startsWith('experimental.envoy.filters.') || key.startsWith('request.experimental.inline.headers')) {
    return { ok: true, key: { attribute: 'unevaluated', key, why: 'Skiff has no Envoy filter metadata' } };
  }
  if (key === 'destination.namespace') return { ok: false, message: 'destination.namespace is replaced by the policy\'s metadata.namespace' };
  if (key.startsWith('destination.labels')) return { ok: false, message: 'destination.labels is replaced by the policy\'s selector' };
  if (key === 'destination.name' || key === 'destination.user') return { ok: false, message: `${key} was only supported by Istio's v1alpha1 RBAC and is gone` };
  const bracket = key.indexOf('[');
  const hit =
    bracket > 0
      ? ((base) => (base === undefined ? undefined : base + key.slice(bracket)))(closest(key.slice(0, bracket), ['request.headers', 'request.auth.claims']))
      : closest(key, [...SIMPLE_KEYS, ...Object.keys(UNEVALUATED)]);
  const hint = hit !== undefined ? `; did you mean ${JSON.stringify(hit)}?` : `; use one of ${CONDITION_KEY_NAMES.join(', ')}`;
  return { ok: false, message: `unknown key ${JSON.stringify(key)}${hint}` };
}

const PORT = /^(0|[1-9][0-9]{0,4})$/;

/** Why `value` cannot be a value of `key` (e.g. a bad CIDR for source.ip), or undefined. */
export function conditionValueProblem(key: ConditionKey, value: string): string | undefined {
  if (value === '') return 'empty value not allowed';
  if (key.attribute === 'source.ip' || (key.attribute === 'unevaluated' && (key.key === 'remote.ip' || key.key === 'destination.ip'))) return ipBlockProblem(value);
  if (key.attribute === 'destination.port' && (!PORT.test(value) || Number(value) > 65535)) return `bad port ${JSON.stringify(value)}: use a number from 0 to 65535, as a string`;
  return undefined;
}
