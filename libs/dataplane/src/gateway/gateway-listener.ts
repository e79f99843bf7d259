// The ingress gateway's listener: outside traffic arrives on a local port that stands for a
// Gateway server port (Kubernetes would map service port 80 to container port 8080), and is
// routed by the VirtualServices bound to that Gateway.
import type { Server } from 'node:http';
import type { Logger } from '@skiff/telemetry';
import { createRouterHandler } from '../core/http-router.js';
import { listen } from '../core/listen.js';
import type { SnapshotHolder } from '../core/snapshot-holder.js';
import type { UpstreamPools } from '../core/upstream-pools.js';
import type { WorkloadCertificate } from '../security/identity.js';

export interface GatewayListenerOptions {
  host: string;
  /** Local port to bind. */
  port: number;
  /** The Gateway server port it stands for (servers[].port.number). */
  serverPort: number;
  holder: SnapshotHolder;
  pools: UpstreamPools;
  logger: Logger;
  certificate?: () => WorkloadCertificate | undefined;
}

export function startGatewayListener(options: GatewayListenerOptions): Promise<Server> {
  const routeConfig = `http.${options.serverPort}`;
  const handler = createRouterHandler({
    holder: options.holder,
    pools: options.pools,
    logger: options.logger,
    routeConfigName: () => routeConfig,
    passthrough: false,
    certificate: options.certificate,
    receivingSecurity: { port: options.serverPort },
  });
  return listen(`gateway :${options.serverPort}`, options.host, options.port, handler);
}
