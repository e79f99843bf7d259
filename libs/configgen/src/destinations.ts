// VirtualService destinations -> cluster names. The host resolves relative to the
// VirtualService's namespace; the port is the one given, else the service's only port, else
// (sidecars) the port the request came in on, as Istio does for multi-port services.
import { clusterName, type Destination } from '@skiff/api';
import { resolveHost } from './hosts.js';
import type { ServiceInfo } from './services.js';
import type { Warn } from './destination-rules.js';

export interface DestinationContext {
  services: ReadonlyMap<string, ServiceInfo>;
  knownNamespaces: ReadonlySet<string>;
  /** Cluster names this proxy gets, to flag subsets no DestinationRule defines. */
  clusterNames: ReadonlySet<string>;
  warn: Warn;
}

/**
 * The cluster a destination names, or undefined (with a warning) when no port can be chosen.
 * A host or subset that does not exist still yields a name: the proxy answers 503 for it, as
 * Envoy does, and the warning tells the user why.
 */
export function clusterFor(dest: Destination, vsNamespace: string, contextPort: number | undefined, where: string, ctx: DestinationContext): string | undefined {
  const host = resolveHost(dest.host, vsNamespace, ctx.knownNamespaces);
  const service = ctx.services.get(host);
  let port = dest.port?.number;
  if (port === undefined && service) {
    if (service.ports.length === 1 || (contextPort !== undefined && service.ports.includes(contextPort))) {
      port = service.ports.length === 1 ? service.ports[0] : contextPort;
    } else {
      port = service.ports[0];
      ctx.warn(`${where}: host ${host} has ports ${service.ports.join(', ')}; using ${port}. Set destination.port.number to choose.`);
    }
  }
  port ??= contextPort;
  if (port === undefined) {
    ctx.warn(`${where}: host ${host} is not a service in the registry and no destination.port is set, so the destination is skipped. Set destination.port.number or start a workload of that service.`);
    return undefined;
  }
  const name = clusterName('outbound', port, dest.subset, host);
  if (!service) {
    ctx.warn(`${where}: host ${host} is not a service in the registry; requests routed to it get 503 until a workload of that service registers.`);
  } else if (dest.subset !== undefined && !ctx.clusterNames.has(name)) {
    ctx.warn(`${where}: subset "${dest.subset}" of host ${host} is not defined by any DestinationRule visible here; requests routed to it get 503. Add the subset to the host's DestinationRule.`);
  }
  return name;
}
