// Gateway references, both ways: a VirtualService bound to a Gateway that does not exist
// (IST0101; its hosts are not served there), and a Gateway no VirtualService binds (SKF0001;
// it opens its ports but every request gets 404).
import type { AnalysisContext } from '../context.js';
import { resourceKey } from '../context.js';
import { resolveGatewayRef } from '../hosts.js';
import { suggest } from '../suggest.js';

/** "mesh" is the reserved name for every sidecar, not a Gateway resource. */
const MESH = 'mesh';

export function checkGateways(ctx: AnalysisContext): void {
  const existing = ctx.gateways.map(resourceKey);
  const bound = new Set<string>();
  for (const vs of ctx.virtualServices) {
    const ns = vs.metadata.namespace;
    const refs: { ref: string; path: PropertyKey[] }[] = (vs.spec.gateways ?? []).map((ref, k) => ({ ref, path: ['spec', 'gateways', k] }));
    for (const ref of vs.spec.gateways ?? []) if (ref !== MESH) bound.add(resolveGatewayRef(ref, ns));
    // A match may narrow a route to some of the bound gateways; those names must exist too.
    (vs.spec.http ?? []).forEach((http, i) =>
      (http.match ?? []).forEach((m, j) => (m.gateways ?? []).forEach((ref, k) => refs.push({ ref, path: ['spec', 'http', i, 'match', j, 'gateways', k] }))),
    );
    // A Gateway whose document failed validation may be the one referenced.
    if (ctx.incomplete.has('Gateway')) continue;
    for (const { ref, path } of refs) {
      if (ref === MESH) continue;
      const key = resolveGatewayRef(ref, ns);
      if (existing.includes(key)) continue;
      // "skiff-gateway" from namespace default does not find istio-system/skiff-gateway.
      const sameName = existing.find((e) => e.slice(e.indexOf('/') + 1) === key.slice(key.indexOf('/') + 1));
      const hint =
        (sameName && !ref.includes('/') ? `; a bare name means namespace ${ns}: did you mean "${sameName}"?` : suggest(key, existing)) ??
        `; define it, or name an existing Gateway as "<namespace>/<name>" (a bare name means namespace ${ns})`;
      ctx.report('ReferencedResourceNotFound', vs, path, `gateway "${key}" not found${hint}`);
    }
  }
  // A VirtualService that failed validation may be the one binding the Gateway.
  if (ctx.incomplete.has('VirtualService')) return;
  for (const gateway of ctx.gateways) {
    if (bound.has(resourceKey(gateway))) continue;
    ctx.report(
      'UnboundGateway',
      gateway,
      ['metadata', 'name'],
      `no VirtualService binds Gateway ${resourceKey(gateway)}, so requests to it get 404. List "${resourceKey(gateway)}" in a VirtualService's spec.gateways, or remove the Gateway.`,
    );
  }
}
