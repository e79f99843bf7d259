// For `skiff simulate`: the decision plus, for every route of the chosen virtual host, whether
// it matched and, if not, the first condition that failed and what the request had instead.
// Slower than selectRoute (it evaluates every route) and meant for people, not the hot path.
import type { CompiledRouteConfig } from './compile.js';
import type { CompiledMatch } from './match.js';
import { RequestView, type RouteRequest } from './request.js';
import type { CompiledRoute } from './route.js';
import { selectRoute, type RouteDecision } from './select.js';

export interface RouteVerdict {
  readonly index: number;
  readonly name: string;
  /** selected: the winner; shadowed: would match, but an earlier route won; no-match: fails. */
  readonly outcome: 'selected' | 'shadowed' | 'no-match';
  /** e.g. `needs header end-user exact "jason", but header end-user is absent`. */
  readonly reason: string;
}

export interface RouteExplanation {
  readonly routeConfig: string;
  readonly request: { readonly method: string; readonly authority: string; readonly path: string };
  readonly decision: RouteDecision;
  /** One per route of the chosen virtual host, in order; empty when no virtual host matched. */
  readonly routes: readonly RouteVerdict[];
}

export function explainRoute(compiled: CompiledRouteConfig, req: RouteRequest): RouteExplanation {
  const view = new RequestView(req);
  const decision = selectRoute(compiled, view);
  const routes = decision.kind === 'no-virtual-host' ? [] : decision.virtualHost.routes;
  const winner = decision.kind === 'matched' ? decision.route : undefined;
  return {
    routeConfig: compiled.name,
    request: { method: req.method, authority: req.authority, path: req.path },
    decision,
    routes: routes.map((route) => verdict(route, view, winner)),
  };
}

function verdict(route: CompiledRoute, req: RequestView, winner: CompiledRoute | undefined): RouteVerdict {
  const base = { index: route.index, name: route.name };
  const hit = route.matchRequest(req);
  if (!hit) return { ...base, outcome: 'no-match', reason: whyNot(route.matches, req) };
  const what = hit.match === undefined ? 'catch-all' : describe(hit.match, route.matches.length);
  if (route === winner) return { ...base, outcome: 'selected', reason: what };
  const earlier = winner ? `route [${winner.index}] ${JSON.stringify(winner.name)}` : 'an earlier route';
  return { ...base, outcome: 'shadowed', reason: `also matches (${what}), but ${earlier} comes first` };
}

function describe(m: CompiledMatch, count: number): string {
  return count === 1 ? m.description : `${m.label}: ${m.description}`;
}

function whyNot(matches: readonly CompiledMatch[], req: RequestView): string {
  const parts = matches.map((m) => {
    const failed = m.firstFailure(req);
    const why = failed ? `needs ${failed.description}, but ${failed.observed(req)}` : 'matches';
    return matches.length === 1 ? why : `${m.label}: ${why}`;
  });
  return parts.join('; ');
}

const MARK: Record<RouteVerdict['outcome'], string> = { selected: '✔', shadowed: '·', 'no-match': '✘' };

/** Plain text for a terminal, one line per route. */
export function formatExplanation(e: RouteExplanation): string {
  const lines = [`${e.request.method} ${e.request.path} (authority ${JSON.stringify(e.request.authority)}) in route config ${JSON.stringify(e.routeConfig)}`];
  lines.push(`  ${e.decision.reason}`);
  for (const r of e.routes) lines.push(`    ${MARK[r.outcome]} [${r.index}] ${r.name}: ${r.reason}`);
  return lines.join('\n');
}
