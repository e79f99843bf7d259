// Which VirtualService routes each host for one proxy. Istio gives a host to one VirtualService
// per context; when several claim it, the first in namespace/name order wins and the rest are
// reported as conflicts.
import type { Loaded, VirtualService } from '@skiff/api';
import type { Warn } from './destination-rules.js';
import { describeResource } from './describe.js';
import { isVisibleTo } from './export-to.js';
import { hostCovers, resolveHost } from './hosts.js';
import { compareKeys } from './order.js';

/** Does this VirtualService apply to sidecars (no `gateways`, or `mesh` among them)? */
export function appliesToMesh(vs: Loaded<VirtualService>): boolean {
  const gateways = vs.spec.gateways;
  return !gateways || gateways.length === 0 || gateways.includes('mesh');
}

export interface VirtualServiceIndex {
  /** The VirtualService routing a service FQDN: an exact host first, else the most specific wildcard. */
  forHost(fqdn: string): Loaded<VirtualService> | undefined;
}

/** Indexes the mesh VirtualServices visible from `proxyNamespace`; `all` must be in namespace/name order. */
export function indexMeshVirtualServices(all: readonly Loaded<VirtualService>[], proxyNamespace: string, knownNamespaces: ReadonlySet<string>, warn: Warn): VirtualServiceIndex {
  const claims = new Map<string, Loaded<VirtualService>[]>();
  for (const vs of all) {
    if (!appliesToMesh(vs) || !isVisibleTo(vs.spec.exportTo, vs.metadata.namespace, proxyNamespace)) continue;
    const hosts = new Set(vs.spec.hosts.map((h) => resolveHost(h, vs.metadata.namespace, knownNamespaces)));
    for (const host of hosts) {
      let list = claims.get(host);
      if (!list) claims.set(host, (list = []));
      list.push(vs);
    }
  }
  const exact = new Map<string, Loaded<VirtualService>>();
  const wildcards: { host: string; vs: Loaded<VirtualService> }[] = [];
  for (const [host, list] of claims) {
    const winner = list[0] as Loaded<VirtualService>;
    if (list.length > 1) {
      warn(
        `conflict: host ${host} is claimed by ${list.length} VirtualServices; using ${describeResource(winner)} (first by namespace/name) and ignoring ` +
          `${list.slice(1).map(describeResource).join(', ')} for that host. Put all routes for a host in one VirtualService.`,
      );
    }
    if (host.includes('*')) wildcards.push({ host, vs: winner });
    else exact.set(host, winner);
  }
  wildcards.sort((a, b) => compareKeys([-a.host.length, a.host], [-b.host.length, b.host]));
  return {
    forHost(fqdn) {
      return exact.get(fqdn) ?? wildcards.find((w) => hostCovers(w.host, fqdn))?.vs;
    },
  };
}
