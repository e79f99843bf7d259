// The inbound side's router: every request goes to the local app (Envoy's inbound|<port>||
// cluster), over the codec's keep-alive pool, through the same attempt machinery as outbound.
import type { RequestEvent } from '../../core/request-event.js';
import type { UpstreamPool, UpstreamProtocol } from '../upstream-connection.js';
import { TAKEN, type HttpFilter } from '../http-filter.js';
import { UpstreamRequest } from '../upstream-request.js';

export function appRouterFilter(poolFor: (protocol: UpstreamProtocol) => UpstreamPool, cluster: string, destination: RequestEvent['destination'], random: () => number): HttpFilter {
  const { options } = poolFor('HTTP/1.1');
  const host = `${options.host}:${options.port}`;
  return {
    name: 'router',
    decodeHeaders(x) {
      x.upstreamCluster = cluster;
      x.upstreamHost = host;
      x.destination = destination;
      const target = { pool: poolFor(x.stream.protocol) };
      new UpstreamRequest(x, { random, pick: () => target }).start();
      return TAKEN;
    },
  };
}
