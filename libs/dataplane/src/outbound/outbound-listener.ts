// The sidecar's outbound listener (Istio's 15001): the local app sends every call here, as to
// an explicit HTTP proxy, and the mesh decides where it goes. Route configs are per service
// port, as in Istio: a call to reviews:9080 is routed by route config "9080".
import { createServer, type Server } from 'node:net';
import type { HopTracer, Logger } from '@skiff/telemetry';
import { HttpConnectionManager } from '../chain/connection-manager.js';
import { FilterChain } from '../chain/filter-chain.js';
import { connectTunnelFilter } from '../chain/filters/connect-tunnel.js';
import type { TcpObserver } from '../tcp/tcp-event.js';
import { faultFilter } from '../chain/filters/fault.js';
import { mirrorFilter } from '../chain/filters/mirror.js';
import { observeFilter } from '../chain/filters/observe.js';
import { requestHeadersFilter } from '../chain/filters/request-headers.js';
import { requestIdFilter } from '../chain/filters/request-id.js';
import { passthroughMarkFor, routeMatchFilter } from '../chain/filters/route-match.js';
import { routerFilter } from '../chain/filters/router.js';
import { tracingFilter } from '../chain/filters/tracing.js';
import { bindListener } from '../core/listen.js';
import type { RequestEvent, RequestObserver } from '../core/request-event.js';
import type { SnapshotHolder } from '../core/snapshot-holder.js';
import type { UpstreamPools } from '../core/upstream-pools.js';
import { DownstreamGuard } from '../downstream/downstream-guard.js';
import type { WorkloadCertificate } from '../security/identity.js';

export interface OutboundOptions {
  host: string;
  port: number;
  holder: SnapshotHolder;
  pools: UpstreamPools;
  logger: Logger;
  sourceLabels: Record<string, string>;
  sourceNamespace: string;
  certificate?: () => WorkloadCertificate | undefined;
  observer?: RequestObserver;
  tracer?: HopTracer;
  self?: RequestEvent['source'];
  /** Told when a CONNECT to a mesh TCP service opens and closes (istio_tcp_* metrics). */
  tcpObserver?: TcpObserver;
  guard?: DownstreamGuard;
  random?: () => number;
}

export function startOutboundListener(options: OutboundOptions): Promise<Server> {
  const random = options.random ?? Math.random;
  const guard = options.guard ?? new DownstreamGuard('outbound', options.logger);
  const mark = passthroughMarkFor(options.self);
  const manager = new HttpConnectionManager({
    name: 'outbound',
    holder: options.holder,
    guard,
    logger: options.logger,
    source: options.self ?? { workload: 'unknown', namespace: 'unknown' },
    allowConnect: true,
    buildChain: (snapshot) =>
      new FilterChain(
        [
          observeFilter('source', options.observer, options.tracer !== undefined),
          requestIdFilter,
          tracingFilter(options.tracer, 'client'),
          connectTunnelFilter({
            sourceLabels: options.sourceLabels,
            sourceNamespace: options.sourceNamespace,
            certificate: options.certificate,
            tcpObserver: options.tcpObserver,
            random,
            // The tunnel's bytes come back to this listener, to be routed request by request.
            acceptHttp: (socket) => manager.accept(socket),
          }),
          routeMatchFilter(
            snapshot && {
              routeConfig: (target) => snapshot.routeConfigs.get(String(target.port)),
              passthrough: true,
              passthroughMark: mark,
              sourceLabels: options.sourceLabels,
              sourceNamespace: options.sourceNamespace,
              random,
            },
          ),
          faultFilter(random),
          requestHeadersFilter,
          mirrorFilter(options.pools, options.certificate, random),
          routerFilter({ pools: options.pools, certificate: options.certificate, self: options.self, random }),
        ],
        options.logger,
      ),
  });
  const server = createServer({ noDelay: true }, (socket) => {
    socket.on('error', () => socket.destroy());
    if (guard.admit(socket)) manager.accept(socket);
  });
  return bindListener('outbound', server, options.host, options.port, manager, guard);
}
