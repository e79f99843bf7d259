// A Route compiled once per push: its matches (OR'ed; none means every request), the reason
// string for each, written out in advance so the hot path only returns a reference, and the
// cumulative weights for its cluster pick.
import type { Route, WeightedCluster } from '@skiff/api';
import { compileMatch, type CompiledMatch } from './match.js';
import type { RequestView } from './request.js';
import { WeightedPicker } from './weighted.js';

export interface RouteHit {
  /** The match that held; undefined for a route without matches (a catch-all). */
  readonly match: CompiledMatch | undefined;
  /** e.g. `route "default/reviews http[0]": header end-user exact "jason"`. */
  readonly reason: string;
}

export interface CompiledRoute {
  readonly index: number;
  readonly name: string;
  /** The route as configured. */
  readonly route: Route;
  readonly matches: readonly CompiledMatch[];
  /** The first match (in order) that holds for the request, or undefined when none does. */
  matchRequest(req: RequestView): RouteHit | undefined;
  /** The weighted destination for this request. Throws for a redirect route (check `route.action.kind` first). */
  pickCluster(random: () => number): WeightedCluster;
}

/** `where` places the route for error messages, e.g. `route config "9080" virtual host "x"`. */
export function compileRoute(route: Route, index: number, where: string): CompiledRoute {
  const at = `${where} route ${JSON.stringify(route.name)}`;
  const title = `route ${JSON.stringify(route.name)}`;
  const matches = (route.matches ?? []).map((m, i) => compileMatch(m, i, at));
  const hits: RouteHit[] =
    matches.length === 1
      ? [{ match: matches[0], reason: `${title}: ${matches[0]?.description}` }]
      : matches.map((m) => ({ match: m, reason: `${title} ${m.label}: ${m.description}` }));
  const catchAll: RouteHit = { match: undefined, reason: `${title}: catch-all (no match conditions)` };
  const picker = route.action.kind === 'route' ? new WeightedPicker(route.action.clusters, `${at} destinations`) : undefined;

  return {
    index,
    name: route.name,
    route,
    matches,
    matchRequest(req) {
      if (matches.length === 0) return catchAll;
      for (let i = 0; i < matches.length; i++) {
        if ((matches[i] as CompiledMatch).test(req)) return hits[i];
      }
      return undefined;
    },
    pickCluster(random) {
      if (!picker) throw new Error(`${at} is a redirect and has no destinations; check route.action.kind before picking a cluster`);
      return picker.pick(random);
    },
  };
}

/** Same as `route.pickCluster(random)`: Envoy-style weighted pick over precomputed sums. */
export function pickCluster(route: CompiledRoute, random: () => number): WeightedCluster {
  return route.pickCluster(random);
}
