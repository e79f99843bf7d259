// Two resources claiming one host where only one can apply. Skiff, like Istio, uses one
// VirtualService per host and context (the mesh, or a Gateway) and one DestinationRule per
// host; the first by namespace/name wins and the others are silently ignored for that host.
import type { DestinationRule, Loaded, VirtualService } from '@skiff/api';
import type { AnalysisContext } from '../context.js';
import { resourceKey, resourceLabel } from '../context.js';
import type { CodeName } from '../codes.js';
import { resolveGatewayRef, visibleTogether } from '../hosts.js';

interface Claim<R extends Loaded> {
  resource: R;
  path: PropertyKey[];
}

/** Groups claims by key, keeping the resources' (namespace/name) order. */
function groupBy<R extends Loaded>(claims: Iterable<Claim<R> & { key: string }>): Map<string, Claim<R>[]> {
  const groups = new Map<string, Claim<R>[]>();
  for (const c of claims) {
    let list = groups.get(c.key);
    if (!list) groups.set(c.key, (list = []));
    if (!list.some((other) => other.resource === c.resource)) list.push(c); // "reviews" and its FQDN in one resource
  }
  return groups;
}

/** Reports every claim that an earlier claim of the group, visible together with it, shadows. */
function reportShadowed<R extends Loaded>(ctx: AnalysisContext, code: CodeName, groups: Map<string, Claim<R>[]>, describe: (host: string, winner: R) => string): void {
  for (const [key, claims] of groups) {
    const host = key.slice(key.lastIndexOf('\n') + 1);
    claims.forEach((claim, i) => {
      const winner = claims.slice(0, i).find((c) => visibleTogether(c.resource, claim.resource));
      if (winner) ctx.report(code, claim.resource, claim.path, describe(host, winner.resource));
    });
  }
}

function where(r: Loaded): string {
  return `${resourceLabel(r)} (${r.source.file}:${r.source.line})`;
}

function appliesToMesh(vs: Loaded<VirtualService>): boolean {
  const gateways = vs.spec.gateways;
  return !gateways || gateways.length === 0 || gateways.includes('mesh');
}

function hostClaims(ctx: AnalysisContext, vs: Loaded<VirtualService>, context: string): (Claim<Loaded<VirtualService>> & { key: string })[] {
  return vs.spec.hosts.map((h, i) => ({ resource: vs, path: ['spec', 'hosts', i], key: `${context}\n${ctx.resolve(h, vs.metadata.namespace)}` }));
}

export function checkVirtualServiceConflicts(ctx: AnalysisContext): void {
  const mesh = groupBy(ctx.virtualServices.filter(appliesToMesh).flatMap((vs) => hostClaims(ctx, vs, 'mesh')));
  reportShadowed(
    ctx,
    'ConflictingMeshGatewayVirtualServiceHosts',
    mesh,
    (host, winner) =>
      `host ${host} is also routed for the mesh by ${where(winner)}; sidecars use ${resourceKey(winner)} (first by namespace/name) and ignore this VirtualService for that host. Merge the routes into one VirtualService.`,
  );
  const onGateways = groupBy(
    ctx.virtualServices.flatMap((vs) =>
      [...new Set((vs.spec.gateways ?? []).filter((g) => g !== 'mesh').map((g) => resolveGatewayRef(g, vs.metadata.namespace)))].flatMap((gw) => hostClaims(ctx, vs, gw)),
    ),
  );
  for (const [key, claims] of onGateways) {
    const gateway = key.slice(0, key.indexOf('\n'));
    reportShadowed(
      ctx,
      'ConflictingGatewayVirtualServiceHosts',
      new Map([[key, claims]]),
      (host, winner) =>
        `host ${host} on Gateway ${gateway} is also routed by ${where(winner)}; Skiff uses ${resourceKey(winner)} (first by namespace/name) and ignores this VirtualService there (Istio would merge the two). Merge the routes into one VirtualService.`,
    );
  }
}

export function checkDestinationRuleConflicts(ctx: AnalysisContext): void {
  // Rules in different namespaces are not a conflict: each proxy prefers the one in its own namespace.
  const groups = groupBy<Loaded<DestinationRule>>(
    ctx.destinationRules.map((dr) => ({ resource: dr, path: ['spec', 'host'], key: `${dr.metadata.namespace}\n${ctx.resolve(dr.spec.host, dr.metadata.namespace)}` })),
  );
  reportShadowed(
    ctx,
    'ConflictingDestinationRuleHosts',
    groups,
    (host, winner) =>
      `host ${host} is also configured by ${where(winner)}; Skiff applies ${resourceKey(winner)} (first by name) and ignores this one, subsets included. Merge them into one DestinationRule.`,
  );
}
