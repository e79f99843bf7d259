// One Istio HTTPMatchRequest compiled into a list of conditions that must all hold (AND).
// Conditions are ordered cheapest first (numbers and labels before strings, the query last,
// since it is parsed on first use) so a failing request is rejected early.
import type { RouteMatch } from '@skiff/api';
import {
  headerCondition,
  portCondition,
  queryParamCondition,
  requestFieldCondition,
  sourceLabelsCondition,
  sourceNamespaceCondition,
  uriCondition,
  type Condition,
} from './conditions.js';
import type { RequestView } from './request.js';

export interface CompiledMatch {
  readonly index: number;
  /** `match[1]`, or `match[1] "v2-testers"` when the match has a name. */
  readonly label: string;
  /** The match as configured. */
  readonly match: RouteMatch;
  readonly conditions: readonly Condition[];
  /** The conditions joined with " and ", or "any request" when there are none. */
  readonly description: string;
  test(req: RequestView): boolean;
  /** The first condition the request fails, or undefined when the match holds. */
  firstFailure(req: RequestView): Condition | undefined;
}

/** `where` names the route for error messages, e.g. `route config "9080" route "default/reviews http[0]"`. */
export function compileMatch(m: RouteMatch, index: number, where: string): CompiledMatch {
  const label = m.name ? `match[${index}] ${JSON.stringify(m.name)}` : `match[${index}]`;
  const at = `${where} ${label}`;
  const conditions: Condition[] = [];
  if (m.port !== undefined) conditions.push(portCondition(m.port));
  if (m.sourceNamespace !== undefined) conditions.push(sourceNamespaceCondition(m.sourceNamespace));
  if (m.sourceLabels !== undefined) conditions.push(sourceLabelsCondition(m.sourceLabels));
  if (m.method) conditions.push(requestFieldCondition('method', m.method, at));
  if (m.scheme) conditions.push(requestFieldCondition('scheme', m.scheme, at));
  if (m.authority) conditions.push(requestFieldCondition('authority', m.authority, at));
  if (m.uri) conditions.push(uriCondition(m.uri, m.ignoreUriCase ?? false, at));
  for (const h of m.headers ?? []) conditions.push(headerCondition(h, at));
  for (const q of m.queryParams ?? []) conditions.push(queryParamCondition(q, at));

  const firstFailure = (req: RequestView): Condition | undefined => {
    for (const c of conditions) if (!c.test(req)) return c;
    return undefined;
  };
  return {
    index,
    label,
    match: m,
    conditions,
    description: conditions.length === 0 ? 'any request' : conditions.map((c) => c.description).join(' and '),
    test: (req) => firstFailure(req) === undefined,
    firstFailure,
  };
}
