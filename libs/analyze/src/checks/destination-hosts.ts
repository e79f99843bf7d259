// IST0101 against the service registry: a destination host no workload serves, or a port the
// service does not have. Only with a registry from a running control plane; config files alone
// cannot say which services exist, and guessing would report false errors.
import type { AnalysisContext } from '../context.js';
import { destinationsOf } from '../destinations.js';
import { suggest } from '../suggest.js';

export function checkDestinationHosts(ctx: AnalysisContext): void {
  const services = ctx.services;
  if (!services) return;
  const known = [...services.keys()];
  for (const vs of ctx.virtualServices) {
    for (const { destination, path } of destinationsOf(vs)) {
      const host = ctx.resolve(destination.host, vs.metadata.namespace);
      const service = services.get(host);
      if (!service) {
        ctx.report(
          'ReferencedResourceNotFound',
          vs,
          [...path, 'host'],
          `host ${host} is not a service in the registry; requests routed to it get 503${suggest(host, known) ?? '. Fix the name, or start a workload of that service'}`,
        );
        continue;
      }
      const port = destination.port?.number;
      if (port !== undefined && !service.ports.includes(port)) {
        ctx.report(
          'ReferencedResourceNotFound',
          vs,
          [...path, 'port', 'number'],
          `port ${port} is not a port of ${host} (it has ${service.ports.join(', ') || 'none'}); requests routed to it get 503. Use one of its ports.`,
        );
      }
    }
  }
}
