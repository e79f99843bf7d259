// Query parameters for matching. Like Envoy: the first occurrence of a name wins, values are
// percent-decoded, and "+" is left alone (it means a space only in HTML forms). Routes usually
// test one or two names, so `findQueryParam` scans the string for a name instead of building a
// map of every parameter on each request.

/** The first value of `name` in the query of a request target ("/p?a=1&b"), or undefined. */
export function findQueryParam(target: string, name: string): string | undefined {
  const start = target.indexOf('?');
  if (start < 0) return undefined;
  let end = target.indexOf('#', start);
  if (end < 0) end = target.length;
  let i = start + 1;
  while (i <= end) {
    let amp = target.indexOf('&', i);
    if (amp < 0 || amp > end) amp = end;
    if (amp > i) {
      let eq = target.indexOf('=', i);
      if (eq < 0 || eq > amp) eq = amp;
      const rawName = target.slice(i, eq);
      if (rawName === name || (rawName.includes('%') && decode(rawName) === name)) {
        return eq === amp ? '' : decode(target.slice(eq + 1, amp));
      }
    }
    i = amp + 1;
  }
  return undefined;
}

/** Every parameter, first occurrence of each name; for tools and explanations, not the hot path. */
export function parseQuery(target: string): Map<string, string> {
  const params = new Map<string, string>();
  const start = target.indexOf('?');
  if (start < 0) return params;
  let end = target.indexOf('#', start);
  if (end < 0) end = target.length;
  for (const pair of target.slice(start + 1, end).split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decode(eq < 0 ? pair : pair.slice(0, eq));
    if (params.has(name)) continue;
    params.set(name, eq < 0 ? '' : decode(pair.slice(eq + 1)));
  }
  return params;
}

function decode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    // Malformed escapes are matched as sent rather than failing the request.
    return s;
  }
}
