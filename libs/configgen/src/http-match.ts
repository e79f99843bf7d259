// Istio HTTPMatchRequest -> snapshot RouteMatch. Header and query maps become lists (header
// names lower-cased, as HTTP/2 and Node present them); an empty header object means "present";
// withoutHeaders become present:false entries.
import type { HTTPMatchRequest, StringMatch, StringMatchSpec } from '@skiff/api';
import type { HeaderMatchInput, RouteMatchInput } from './snapshot-types.js';

/** A fresh single-key copy; undefined for an empty object (Istio's "any value"). */
export function copyStringMatch(match: StringMatch | Record<string, never> | undefined): StringMatchSpec | undefined {
  if (!match) return undefined;
  if ('exact' in match) return { exact: match.exact };
  if ('prefix' in match) return { prefix: match.prefix };
  if ('regex' in match) return { regex: match.regex };
  return undefined;
}

function headerList(map: HTTPMatchRequest['headers'], present: boolean): HeaderMatchInput[] {
  return Object.entries(map ?? {}).map(([name, value]) => {
    const match = copyStringMatch(value);
    const out: HeaderMatchInput = { name: name.toLowerCase() };
    if (match) out.match = match;
    out.present = present;
    return out;
  });
}

export function translateMatch(m: HTTPMatchRequest): RouteMatchInput {
  const out: RouteMatchInput = {};
  if (m.name !== undefined) out.name = m.name;
  const uri = copyStringMatch(m.uri);
  if (uri) out.uri = uri;
  const method = copyStringMatch(m.method);
  if (method) out.method = method;
  const authority = copyStringMatch(m.authority);
  if (authority) out.authority = authority;
  const scheme = copyStringMatch(m.scheme);
  if (scheme) out.scheme = scheme;
  const headers = [...headerList(m.headers, true), ...headerList(m.withoutHeaders, false)];
  if (headers.length > 0) out.headers = headers;
  const query = Object.entries(m.queryParams ?? {}).map(([name, value]) => {
    const match = copyStringMatch(value);
    return match ? { name, match } : { name };
  });
  if (query.length > 0) out.queryParams = query;
  if (m.port !== undefined) out.port = m.port;
  if (m.sourceLabels) out.sourceLabels = { ...m.sourceLabels };
  if (m.sourceNamespace !== undefined) out.sourceNamespace = m.sourceNamespace;
  if (m.ignoreUriCase) out.ignoreUriCase = true;
  return out;
}

/**
 * Translates the matches of one http entry for one context (the mesh, or a gateway).
 * `applies` says whether a match's own `gateways` list includes this context. Returns null when
 * the entry has matches but none apply here: the entry must then be skipped, not turned into
 * a catch-all.
 */
export function translateMatches(matches: readonly HTTPMatchRequest[] | undefined, applies: (gateways: readonly string[]) => boolean): RouteMatchInput[] | null {
  if (!matches || matches.length === 0) return [];
  const kept = matches.filter((m) => !m.gateways || m.gateways.length === 0 || applies(m.gateways));
  return kept.length === 0 ? null : kept.map(translateMatch);
}
