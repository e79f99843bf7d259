// IST0101: a route names a subset no DestinationRule for its host defines. Envoy has no such
// cluster, so every request routed there gets a 503.
import { suggest } from '../suggest.js';
import type { AnalysisContext } from '../context.js';
import { destinationsOf } from '../destinations.js';
import { hostCovers } from '../hosts.js';

export function checkSubsets(ctx: AnalysisContext): void {
  // A DestinationRule that failed validation may be the one defining the subset.
  if (ctx.incomplete.has('DestinationRule')) return;
  const rules = ctx.destinationRules.map((dr) => ({ host: ctx.resolve(dr.spec.host, dr.metadata.namespace), subsets: (dr.spec.subsets ?? []).map((s) => s.name) }));
  for (const vs of ctx.virtualServices) {
    for (const { destination, path } of destinationsOf(vs)) {
      const subset = destination.subset;
      if (subset === undefined) continue;
      const host = ctx.resolve(destination.host, vs.metadata.namespace);
      const forHost = rules.filter((r) => hostCovers(r.host, host));
      const defined = [...new Set(forHost.flatMap((r) => r.subsets))];
      if (defined.includes(subset)) continue;
      const advice =
        forHost.length === 0
          ? `No DestinationRule has host ${host}: add one with a subset "${subset}" whose labels select its workloads.`
          : `Defined subsets: ${defined.length > 0 ? defined.join(', ') : 'none'}${suggest(subset, defined) ?? `; add "${subset}" to the DestinationRule or fix the name.`}`;
      ctx.report('ReferencedResourceNotFound', vs, [...path, 'subset'], `subset "${subset}" is not defined by any DestinationRule for ${host}; requests routed to it get 503. ${advice}`);
    }
  }
}
