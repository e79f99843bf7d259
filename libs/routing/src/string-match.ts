// Istio/Envoy StringMatch compiled once into a test function. Regexes are anchored at both ends
// because Envoy's safe_regex must match the whole value, not a substring.
import type { StringMatchSpec } from '@skiff/api';
import { compileRe2 } from './re2.js';

export interface StringMatcher {
  readonly kind: 'exact' | 'prefix' | 'regex';
  readonly pattern: string;
  /** e.g. `exact "jason"`, `prefix "/api" (any case)`. */
  readonly description: string;
  test(value: string): boolean;
}

export interface StringMatchOptions {
  /** Compare exact and prefix matches case-insensitively (Istio's ignoreUriCase; regexes are unaffected, as in Istio). */
  ignoreCase?: boolean;
  /** Where the match sits, for error messages, e.g. `route "r" match[0] header "x-user"`. */
  where: string;
}

export function compileStringMatch(spec: StringMatchSpec, options: StringMatchOptions): StringMatcher {
  const anyCase = options.ignoreCase === true;
  const suffix = anyCase ? ' (any case)' : '';
  if ('exact' in spec) {
    const want = anyCase ? spec.exact.toLowerCase() : spec.exact;
    return {
      kind: 'exact',
      pattern: spec.exact,
      description: `exact ${JSON.stringify(spec.exact)}${suffix}`,
      test: anyCase ? (v) => v.toLowerCase() === want : (v) => v === want,
    };
  }
  if ('prefix' in spec) {
    const want = anyCase ? spec.prefix.toLowerCase() : spec.prefix;
    return {
      kind: 'prefix',
      pattern: spec.prefix,
      description: `prefix ${JSON.stringify(spec.prefix)}${suffix}`,
      test: anyCase ? (v) => v.toLowerCase().startsWith(want) : (v) => v.startsWith(want),
    };
  }
  const re = compileRe2(spec.regex, options.where);
  return {
    kind: 'regex',
    pattern: spec.regex,
    description: `regex ${JSON.stringify(spec.regex)}`,
    test: (v) => re.test(v),
  };
}
