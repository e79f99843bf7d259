// The sidecar's inbound listener (Istio's 15006): peers' sidecars send here, and it hands the
// request to the local app over a keep-alive pool. Security policy checks will sit here.
import type { Server } from 'node:http';
import type { Logger } from '@skiff/telemetry';
import { forward, sendLocalReply } from '../core/forward.js';
import { forwardableHeaders } from '../core/hop-by-hop.js';
import { listen } from '../core/listen.js';
import { ensureRequestId } from '../core/request-id.js';
import type { UpstreamPools } from '../core/upstream-pools.js';
import { originOf } from '../core/upstream-pools.js';

export interface InboundOptions {
  host: string;
  port: number;
  appHost: string;
  appPort: number;
  pools: UpstreamPools;
  logger: Logger;
}

export function startInboundListener(options: InboundOptions): Promise<Server> {
  const appOrigin = originOf(options.appHost, options.appPort);
  return listen('inbound', options.host, options.port, (req, res) => {
    const headers = forwardableHeaders(req.headers);
    ensureRequestId(headers);
    const pool = options.pools.get(appOrigin);
    void forward(pool, req, res, { method: req.method ?? 'GET', path: req.url ?? '/', headers })
      .then((result) => {
        if (result.retriable && result.reply) sendLocalReply(res, result.reply);
      })
      .catch((error: unknown) => {
        options.logger.error({ error: String(error) }, 'inbound request failed inside the proxy');
        res.destroy();
      });
  });
}
