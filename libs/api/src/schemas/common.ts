// Building blocks shared by the Istio resource schemas: objects that report unknown fields one
// by one, names and hosts in Kubernetes/Istio syntax, durations, percentages and string matches.
import { z } from 'zod';
import { ipBlockProblem } from '../security/ip.js';
import type { StringMatch } from '../resources.js';
import { DURATION_HINT, isDuration, parseDuration } from '../duration.js';
import { compileIstioRegex } from '../regex.js';
import { closest } from '../suggest.js';
import { DEFAULT_NAMESPACE } from '../workload.js';

/** Marks the custom issue raised for a field an object does not declare (see istioObject). */
export const UNKNOWN_FIELD = 'skiff/unknown-field';

export interface UnknownFieldParams {
  skiff: typeof UNKNOWN_FIELD;
  /** Fields Skiff implements here. */
  known: readonly string[];
  /** Fields Istio has here but Skiff ignores (reported as warnings). */
  unsupported: readonly string[];
}

export function isUnknownFieldParams(p: unknown): p is UnknownFieldParams {
  return typeof p === 'object' && p !== null && (p as { skiff?: unknown }).skiff === UNKNOWN_FIELD;
}

/**
 * A strict object whose unknown keys each raise their own issue, at the key's path, carrying the
 * allowed names. (zod's strictObject raises one issue per object listing the keys, without the
 * names that were allowed, so it can neither tell Istio fields Skiff ignores from typos nor
 * suggest the right name.) `undefined` values are let through: the validator blanks out ignored
 * Istio fields that way for its second pass.
 */
export function istioObject<S extends z.ZodRawShape>(shape: S, unsupported: readonly string[] = []) {
  const params: UnknownFieldParams = { skiff: UNKNOWN_FIELD, known: Object.keys(shape), unsupported };
  return z.object(shape).catchall(
    z.unknown().superRefine((value, ctx) => {
      if (value !== undefined) ctx.addIssue({ code: 'custom', message: 'unknown field', params });
    }),
  );
}

/** Narrowing helper for cross-field rules, which may see partly invalid values. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * True when `obj` has a key that looks like a misspelling of one of `names` (e.g. "rout" for
 * "route"). Rules that require one of `names` stay quiet then: the unknown-field error, with its
 * suggestion, already says what to fix.
 */
export function hasMisspelling(obj: Record<string, unknown>, names: readonly string[]): boolean {
  return Object.keys(obj).some((k) => !names.includes(k) && closest(k, names) !== undefined);
}

/**
 * Runs a cross-field rule even when some of the object's fields failed, so that one pass reports
 * every problem (zod skips such rules by default). The rule must then read fields defensively.
 */
export const always = { when: (payload: { value: unknown }) => isRecord(payload.value) } as const;

// ---- names ------------------------------------------------------------------------------------

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// Istio compares hosts case-insensitively, so labels in hosts may use capitals.
const HOST_LABEL = /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?$/;

/** A Kubernetes name (DNS-1123 label): at most 63 lowercase letters, digits and '-', alphanumeric at both ends. */
export function isDnsLabel(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

export function dns1123Label(what: string) {
  return z.string().check(
    z.superRefine((s: string, ctx) => {
      if (!isDnsLabel(s)) {
        ctx.addIssue({
          code: 'custom',
          message: `${what} ${JSON.stringify(s)} is not a valid DNS-1123 label: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit`,
        });
      }
    }),
  );
}

/** Why `host` is not an Istio host name ("reviews", "reviews.prod.svc.cluster.local", "*.example.com", "*"), or undefined. */
export function hostProblem(host: string, allowWildcard = true): string | undefined {
  if (host === '') return 'host must not be empty';
  if (host === '*') return allowWildcard ? undefined : 'a wildcard host is not allowed here';
  let rest = host;
  if (rest.startsWith('*.')) {
    if (!allowWildcard) return 'a wildcard host is not allowed here';
    rest = rest.slice(2);
  }
  if (host.length > 255) return 'host is longer than 255 characters';
  for (const label of rest.split('.')) {
    if (label.includes('*')) return `host ${JSON.stringify(host)} may only have a wildcard as its whole first label, as in "*.example.com"`;
    if (label.length === 0 || label.length > 63 || !HOST_LABEL.test(label)) {
      return `host ${JSON.stringify(host)} is not a valid DNS name (labels of letters, digits and '-', separated by dots)`;
    }
  }
  return undefined;
}

export function hostName(opts: { allowWildcard?: boolean } = {}) {
  return z.string().check(
    z.superRefine((s: string, ctx) => {
      const problem = hostProblem(s, opts.allowWildcard ?? true);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  );
}

/** "." (this namespace), "*" (all) or a namespace name. */
export const exportTo = z.array(
  z.string().check(
    z.superRefine((s: string, ctx) => {
      if (s !== '.' && s !== '*' && !DNS1123_LABEL.test(s)) {
        ctx.addIssue({ code: 'custom', message: `exportTo entry ${JSON.stringify(s)} must be ".", "*" or a namespace name` });
      }
    }),
  ),
);

// Kubernetes label syntax: optional DNS-subdomain prefix and "/", then a name of at most 63 chars.
const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
    return `label key ${JSON.stringify(key)} has an invalid prefix: it must be a lowercase DNS subdomain such as "app.kubernetes.io"`;
  }
  if (name.length > 63 || !LABEL_NAME.test(name)) {
    return `label key ${JSON.stringify(key)} is invalid: the name part must be 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

/** Kubernetes labels: valid keys, string values of at most 63 characters. */
export function labelMap() {
  return z.record(z.string(), z.string()).check(
    z.superRefine((labels: Record<string, unknown>, ctx) => {
      for (const [key, value] of Object.entries(labels)) {
        const keyProblem = labelKeyProblem(key);
        if (keyProblem) ctx.addIssue({ code: 'custom', message: keyProblem, path: [key] });
        else if (typeof value === 'string' && value !== '' && (value.length > 63 || !LABEL_NAME.test(value))) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `label value ${JSON.stringify(value)} is invalid: use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
          });
        }
      }
    }, always),
  );
}

// ---- metadata and the resource envelope -------------------------------------------------------

export const API_VERSIONS = ['networking.istio.io/v1', 'networking.istio.io/v1beta1', 'networking.istio.io/v1alpha3'] as const;

export const ObjectMetaSchema = istioObject({
  name: dns1123Label('name'),
  namespace: dns1123Label('namespace').default(DEFAULT_NAMESPACE),
  labels: labelMap().optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

/** apiVersion + kind + metadata + spec, the shape every Istio resource shares. */
export function resourceSchema<K extends string, S extends z.ZodType>(kind: K, spec: S) {
  return istioObject({
    apiVersion: z.enum(API_VERSIONS),
    kind: z.literal(kind),
    metadata: ObjectMetaSchema,
    spec,
  });
}

// ---- values ---------------------------------------------------------------------------------

/** An Istio duration string ("1.5s", "100ms", "2m", "1h"). */
/**
 * An Istio duration string. `atLeast1ms`: Istio's ValidateDuration (pkg/config/validation/agent),
 * which it applies to connectTimeout, outlier detection's interval and baseEjectionTime.
 */
export function duration(options: { atLeast1ms?: boolean } = {}) {
  return z
    .string({ error: (iss) => (iss.input === undefined ? undefined : `expected ${DURATION_HINT} (a string with a unit)`) })
    .check(
      z.superRefine((s: string, ctx) => {
        if (!isDuration(s)) ctx.addIssue({ code: 'custom', message: `invalid duration ${JSON.stringify(s)}: expected ${DURATION_HINT}` });
        else if (options.atLeast1ms && parseDuration(s) < 1) ctx.addIssue({ code: 'custom', message: `duration ${JSON.stringify(s)} is too short: it must be at least 1ms` });
      }),
    );
}

export const PercentSchema = istioObject({ value: z.number().min(0).max(100) });

export const portNumber = z.int().min(1).max(65535);

/** An IP address or CIDR range ("10.0.0.0/16"), as destinationSubnets and addresses take them. */
export const ipBlock = z.string().check(
  z.superRefine((s: string, ctx) => {
    const problem = ipBlockProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
);

export const regexString = z.string().check(
  z.superRefine((s: string, ctx) => {
    try {
      compileIstioRegex(s);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `regex ${JSON.stringify(s)}: ${(err as Error).message}` });
    }
  }),
);

const MATCH_KINDS = ['exact', 'prefix', 'regex'] as const;

/**
 * Istio's StringMatch: exactly one of exact, prefix, regex. With `allowEmpty`, `{}` is accepted
 * too: for header matches it means "the header is present".
 */
export function stringMatch<E extends boolean = false>(opts: { allowEmpty?: E } = {}) {
  return istioObject({ exact: z.string().optional(), prefix: z.string().optional(), regex: regexString.optional() })
    .superRefine((m, ctx) => {
      const set = MATCH_KINDS.filter((k) => m[k] !== undefined);
      if (set.length > 1) {
        ctx.addIssue({ code: 'custom', path: [set[1] as string], message: `set exactly one of exact, prefix or regex, not both ${set.join(' and ')}` });
      } else if (set.length === 0 && !opts.allowEmpty && !hasMisspelling(m, MATCH_KINDS)) {
        ctx.addIssue({ code: 'custom', message: 'set one of exact, prefix or regex' });
      }
    }, always)
    .transform((m) => m as E extends true ? StringMatch | Record<string, never> : StringMatch);
}
