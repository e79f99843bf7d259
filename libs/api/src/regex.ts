// Istio's regexes are RE2 (Envoy's safe_regex), matched against the whole value, in time linear
// in the input. JavaScript's RegExp backtracks: "(\w+\s?)*" against 32 letters and a dash took a
// sidecar's event loop ~13 s. So every user regex that meets request data runs on re2js, a port
// of RE2 (through RE2/J) that keeps RE2's syntax and its linear-time guarantee.
//
// Chosen by measurement (one run, this machine, Node 20; µs per full match of "(\w+\s?)*"):
//                      "jason"   32 letters + "-"   8000 letters + "-"   install
//   re2 (native addon)   0.07         0.10              12.5          1 m 44 s node-gyp build, a
//                                                                     toolchain, and an ABI-bound
//                                                                     binary the esbuild images
//                                                                     cannot carry
//   re2-wasm (RE2/wasm)  2.5          2.2              119            1 s, but it never frees a
//                                                                     compiled regex: its fixed
//                                                                     16 MB heap aborted the
//                                                                     process after 5,018 compiles
//                                                                     (a config push compiles them)
//   re2js (RE2 port)     0.28         0.44              89            1 s, no install script, bundles
//   JS RegExp            0.02        ~13 s              (hangs)
//
// Limits, as Istio has them: a pattern longer than 1024 characters is refused at validation
// (istio pkg/config/validation: validateStringRegexp), and Envoy refuses a compiled program
// larger than re2.max_program_size.error_level, which Istio sets to 32768 (pkg/bootstrap/config.go).
import { RE2JS } from 're2js';

export const MAX_REGEX_LENGTH = 1024;
export const MAX_REGEX_PROGRAM_SIZE = 32_768;

/** A compiled RE2 pattern that must match the whole value. */
export interface Re2Pattern {
  readonly source: string;
  /** RE2's program size (its number of instructions): Envoy's measure of a regex's cost. */
  readonly programSize: number;
  test(value: string): boolean;
}

/**
 * Compiles an Istio (RE2) regex. Throws an Error whose message says what is wrong and what to
 * do: JavaScript-only syntax (lookarounds, backreferences) is named as such.
 */
export function compileIstioRegex(source: string): Re2Pattern {
  // A snapshot is compiled again on every push (by the control plane to validate, by each proxy
  // to run); a pattern near the program-size limit takes ~0.2 s to compile, so keep the results.
  const cached = compiledPatterns.get(source);
  if (cached) {
    compiledPatterns.delete(source); // re-insert: the Map's order is the LRU order
    compiledPatterns.set(source, cached);
    return cached;
  }
  const pattern = compileUncached(source);
  compiledPatterns.set(source, pattern);
  if (compiledPatterns.size > MAX_CACHED_PATTERNS) compiledPatterns.delete(compiledPatterns.keys().next().value as string);
  return pattern;
}

const MAX_CACHED_PATTERNS = 2_000;
const compiledPatterns = new Map<string, Re2Pattern>();

function compileUncached(source: string): Re2Pattern {
  if (source.length > MAX_REGEX_LENGTH) throw new Error(`regex is too large: ${source.length} characters, Istio allows at most ${MAX_REGEX_LENGTH}`);
  const jsOnly = findJavaScriptOnlySyntax(source);
  if (jsOnly) throw new Error(`${jsOnly} is not RE2 syntax (Istio uses RE2); rewrite the expression without it`);
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(source);
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^error parsing regexp: /, '') : String(error);
    throw new Error(`invalid regex: ${reason} (RE2 syntax: https://github.com/google/re2/wiki/Syntax)`);
  }
  const programSize = compiled.programSize();
  if (programSize > MAX_REGEX_PROGRAM_SIZE) throw new Error(`regex is too complex: its RE2 program has ${programSize} instructions, Envoy as Istio configures it allows ${MAX_REGEX_PROGRAM_SIZE}; simplify it (large counted repetitions such as {0,1000} cost the most)`);
  return { source, programSize, test: (value) => compiled.matches(value) };
}

/** Lookarounds and backreferences: JS has them, RE2 (and so Istio and Envoy) does not. */
function findJavaScriptOnlySyntax(re: string): string | undefined {
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
      if (re[i + 1] === ']') i++; // "[]...]": a leading ] is literal
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
