// Istio's string matching for AuthorizationPolicy values: "*" means "present", "abc*" a prefix,
// "*abc" a suffix, anything else exact (a "*" elsewhere is a literal character). Istio checks in
// that order, so "*abc*" is the suffix "abc*".

/** Tests one attribute value; undefined means the request does not have the attribute. */
export type ValueMatcher = (value: string | undefined) => boolean;

export function compileStringMatch(pattern: string, opts: { ignoreCase?: boolean } = {}): ValueMatcher {
  const fold = opts.ignoreCase ? (s: string) => s.toLowerCase() : (s: string) => s;
  if (pattern === '*') return (v) => v !== undefined;
  if (pattern.startsWith('*')) {
    const suffix = fold(pattern.slice(1));
    return (v) => v !== undefined && fold(v).endsWith(suffix);
  }
  if (pattern.endsWith('*')) {
    const prefix = fold(pattern.slice(0, -1));
    return (v) => v !== undefined && fold(v).startsWith(prefix);
  }
  const exact = fold(pattern);
  return (v) => v !== undefined && fold(v) === exact;
}

/** Any of the patterns (Istio ORs the values of one list). */
export function compileAnyOf(patterns: readonly string[], compile: (p: string) => ValueMatcher = (p) => compileStringMatch(p)): ValueMatcher {
  const matchers = patterns.map(compile);
  return (v) => matchers.some((m) => m(v));
}
