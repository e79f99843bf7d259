// Istio regexes are RE2. JavaScript's dialect is close; this bridges the two differences users
// actually hit (leading flag groups like "(?i)" and Python-style "(?P<name>...)" groups) and
// rejects the rest with a message instead of silently matching something else.

const LEADING_FLAGS = /^\(\?([a-zA-Z]+)\)/;

/** Compiles an RE2 pattern as a JS RegExp that must match the whole input. Throws naming `where`. */
export function compileRe2(pattern: string, where: string): RegExp {
  let body = pattern;
  let flags = '';
  const lead = LEADING_FLAGS.exec(body);
  if (lead) {
    for (const f of lead[1] ?? '') {
      if (f === 'i' || f === 'm' || f === 's') {
        if (!flags.includes(f)) flags += f;
      } else {
        throw new Error(`${where}: regex ${JSON.stringify(pattern)} uses flag "${f}", which Skiff does not support; use only (?i), (?m) or (?s) at the start`);
      }
    }
    body = body.slice(lead[0].length);
  }
  body = body.replace(/\(\?P</g, '(?<');
  try {
    // A non-capturing group keeps alternations like "a|b" anchored as a whole.
    return new RegExp(`^(?:${body})$`, flags);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`${where}: invalid regex ${JSON.stringify(pattern)} (${why}); fix it in the VirtualService (RE2 syntax, matched against the whole value)`);
  }
}
