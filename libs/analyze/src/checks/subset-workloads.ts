// IST0173: a DestinationRule subset whose labels match no running workload of its service, so
// its cluster has no endpoints and requests routed to it get 503. Needs the registry.
import type { AnalysisContext, KnownService } from '../context.js';

export function checkSubsetWorkloads(ctx: AnalysisContext): void {
  const services = ctx.services;
  if (!services) return;
  for (const dr of ctx.destinationRules) {
    const host = ctx.resolve(dr.spec.host, dr.metadata.namespace);
    const service = services.get(host);
    // An unknown host is reported where traffic is sent to it; every subset would repeat that.
    if (!service) continue;
    (dr.spec.subsets ?? []).forEach((subset, i) => {
      const labels = subset.labels ?? {};
      if (service.labels.some((workload) => Object.entries(labels).every(([k, v]) => workload[k] === v))) return;
      const wanted = Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(', ') || 'none';
      ctx.report(
        'DestinationRuleSubsetNotSelectPods',
        dr,
        ['spec', 'subsets', i, subset.labels ? 'labels' : 'name'],
        `subset "${subset.name}" selects no workload of ${host} (labels ${wanted}); requests routed to it get 503. ${runningLabels(service, Object.keys(labels))}`,
      );
    });
  }
}

/** What the running workloads have for the subset's label keys, so the fix is in sight. */
function runningLabels(service: KnownService, keys: readonly string[]): string {
  if (service.labels.length === 0) return 'The service has no running workloads.';
  const seen = new Set(service.labels.map((w) => keys.map((k) => `${k}=${w[k] ?? '(unset)'}`).join(', ')));
  return `Running workloads have ${[...seen].sort().join('; ')}.`;
}
