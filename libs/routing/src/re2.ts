// Istio regexes are RE2: compiled by @skiff/api's compileIstioRegex (re2js, linear time), with
// the place in the config named in the error.
import { compileIstioRegex, type Re2Pattern } from '@skiff/api';

/** Compiles an RE2 pattern that must match the whole value. Throws naming `where`. */
export function compileRe2(pattern: string, where: string): Re2Pattern {
  try {
    return compileIstioRegex(pattern);
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).replace(/^invalid regex: /, '');
    throw new Error(`${where}: invalid regex ${JSON.stringify(pattern)} (${reason}); fix it in the VirtualService (RE2 syntax, matched against the whole value)`);
  }
}
