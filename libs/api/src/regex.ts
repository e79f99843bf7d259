// Istio regexes are RE2, matched against the whole value. JavaScript's RegExp is close enough to
// check and run them, once the RE2-only syntax is translated and the JS-only syntax is refused
// (it would be accepted here but rejected by Istio, so configs would not port back).

/** RE2 leading flag group, e.g. "(?i)" or "(?is)"; JS has no inline flags. */
const LEADING_FLAGS = /^\(\?([imsU]+)\)/;

/**
 * Translates an Istio (RE2) regex into a JS RegExp that must match the whole input.
 * Throws an Error whose message says what is wrong and what to do.
 */
export function compileIstioRegex(source: string): RegExp {
  let body = source;
  let flags = '';
  const lead = LEADING_FLAGS.exec(body);
  if (lead) {
    const letters = lead[1] as string;
    if (letters.includes('U')) throw new Error('the RE2 flag U (ungreedy) is not supported by Skiff; use lazy quantifiers like *? instead');
    flags = [...new Set(letters)].join('');
    body = body.slice(lead[0].length);
  }
  const unsupported = findNonRe2Syntax(body);
  if (unsupported) throw new Error(`${unsupported} is not RE2 syntax (Istio uses RE2); rewrite the expression without it`);
  // RE2 spells named groups (?P<name>...); JS spells them (?<name>...).
  body = body.replace(/\(\?P</g, '(?<');
  try {
    return new RegExp(`^(?:${body})$`, flags);
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '') : String(err);
    throw new Error(`invalid regex: ${reason}`);
  }
}

/** Lookarounds and backreferences: JS has them, RE2 (and so Istio/Envoy) does not. */
function findNonRe2Syntax(re: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < re.length; i++) {
    const c = re[i];
    if (c === '\\') {
      const next = re[i + 1] ?? '';
      if (!inClass && /[1-9]/.test(next)) return `the backreference \\${next}`;
      if (!inClass && next === 'k' && re[i + 2] === '<') return 'the named backreference \\k<...>';
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      if (re[i + 1] === ']') i++; // "[]...]" : a leading ] is literal
      continue;
    }
    if (c === '(' && re[i + 1] === '?') {
      const rest = re.slice(i + 2, i + 4);
      if (rest.startsWith('=') || rest.startsWith('!')) return `the lookahead (?${rest[0]}...)`;
      if (rest === '<=' || rest === '<!') return `the lookbehind (?${rest}...)`;
    }
  }
  return undefined;
}
