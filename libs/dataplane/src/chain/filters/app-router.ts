// The inbound side's router: every request goes to the local app (Envoy's inbound|<port>||
// cluster), over the codec's keep-alive pool, through the same attempt machinery as outbound.
import type { RequestEvent } from '../../core/request-event.js';
import type { ClientPool } from '../../http1/client-pool.js';
import { TAKEN, type HttpFilter } from '../http-filter.js';
import { UpstreamRequest } from '../upstream-request.js';

export function appRouterFilter(pool: ClientPool, cluster: string, destination: RequestEvent['destination'], random: () => number): HttpFilter {
  const host = `${pool.options.host}:${pool.options.port}`;
  const target = { pool };
  return {
    name: 'router',
    decodeHeaders(x) {
      x.upstreamCluster = cluster;
      x.upstreamHost = host;
      x.destination = destination;
      new UpstreamRequest(x, { random, pick: () => target }).start();
      return TAKEN;
    },
  };
}
