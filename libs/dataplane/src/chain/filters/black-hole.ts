// Istio's BlackHoleCluster: under outboundTrafficPolicy REGISTRY_ONLY a request (or CONNECT) for a
// host no workload or ServiceEntry provides is answered 502 by the route Istio names "block_all",
// and counted with destination_service "BlackHoleCluster".
import type { HttpExchange } from '../http-exchange.js';
import type { LocalAnswer } from '../http-filter.js';

export const BLACK_HOLE_CLUSTER = 'BlackHoleCluster';

export function blackHole(x: HttpExchange): LocalAnswer {
  x.route = 'block_all';
  x.upstreamCluster = BLACK_HOLE_CLUSTER;
  x.destination = { service: BLACK_HOLE_CLUSTER };
  return { status: 502, body: `${x.requested.authority} is not a service in this mesh's registry, and outboundTrafficPolicy is REGISTRY_ONLY: add a ServiceEntry for it\n`, flag: '-' };
}
