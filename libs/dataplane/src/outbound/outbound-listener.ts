// The sidecar's outbound listener (Istio's 15001): the local app sends every call here, as to
// an explicit HTTP proxy, and the mesh decides where it goes. Route configs are per service
// port, as in Istio: a call to reviews:9080 is routed by route config "9080".
import type { Server } from 'node:http';
import type { HopTracer, Logger } from '@skiff/telemetry';
import { createRouterHandler } from '../core/http-router.js';
import { listen } from '../core/listen.js';
import type { SnapshotHolder } from '../core/snapshot-holder.js';
import type { UpstreamPools } from '../core/upstream-pools.js';
import type { WorkloadCertificate } from '../security/identity.js';
import type { RequestEvent, RequestObserver } from '../core/request-event.js';
import type { DownstreamGuard } from '../downstream/downstream-guard.js';

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
  guard?: DownstreamGuard;
}

export function startOutboundListener(options: OutboundOptions): Promise<Server> {
  const handler = createRouterHandler({
    holder: options.holder,
    pools: options.pools,
    logger: options.logger,
    routeConfigName: (target) => String(target.port),
    passthrough: true,
    sourceLabels: options.sourceLabels,
    sourceNamespace: options.sourceNamespace,
    certificate: options.certificate,
    observer: options.observer,
    tracer: options.tracer,
    spanKind: 'client',
    self: options.self,
  });
  return listen('outbound', options.host, options.port, handler, options.guard);
}
