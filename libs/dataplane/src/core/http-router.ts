// The request path shared by the outbound listener and the gateway: find the virtual host and
// route, pick a weighted cluster, pick an endpoint, forward over a pooled connection. Every
// step reads the snapshot captured when the request arrived.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { selectRoute, pickCluster } from '@skiff/routing';
import type { Logger } from '@skiff/telemetry';
import type { CompiledSnapshot } from './compiled-snapshot.js';
import type { SnapshotHolder } from './snapshot-holder.js';
import { badRequest, noHealthyUpstream, noRoute, notReady } from './errors.js';
import { forward, sendLocalReply, type ForwardResult } from './forward.js';
import { forwardableHeaders } from './hop-by-hop.js';
import { ensureRequestId } from './request-id.js';
import { requestTarget, type RequestTarget } from './request-target.js';
import { originOf, type UpstreamPools } from './upstream-pools.js';

export interface RouterOptions {
  holder: SnapshotHolder;
  pools: UpstreamPools;
  logger: Logger;
  /** Which route config serves this request (sidecar: by port; gateway: by listener). */
  routeConfigName: (target: RequestTarget) => string;
  /** Sidecars pass unknown hosts through (Istio's ALLOW_ANY); gateways answer 404. */
  passthrough: boolean;
  sourceLabels?: Record<string, string>;
  sourceNamespace?: string;
  random?: () => number;
}

export function createRouterHandler(options: RouterOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const random = options.random ?? Math.random;
  return (req, res) => {
    void handle(options, random, req, res).catch((error: unknown) => {
      options.logger.error({ error: error instanceof Error ? error.stack : String(error) }, 'request failed inside the proxy');
      if (!res.headersSent) sendLocalReply(res, { status: 500, body: 'internal proxy error\n', flag: 'DPE' });
      else res.destroy();
    });
  };
}

async function handle(options: RouterOptions, random: () => number, req: IncomingMessage, res: ServerResponse): Promise<ForwardResult> {
  const snapshot = options.holder.current;
  if (!snapshot) return sendLocalReply(res, notReady());
  const target = requestTarget(req.url, req.headers.host);
  if (typeof target === 'string') return sendLocalReply(res, badRequest(target));
  const headers = forwardableHeaders(req.headers);
  headers['host'] = target.authority;
  ensureRequestId(headers);
  const method = req.method ?? 'GET';

  const routeConfig = snapshot.routeConfigs.get(options.routeConfigName(target));
  const decision = routeConfig
    ? selectRoute(routeConfig, {
        method,
        authority: target.authority,
        path: target.path,
        headers: req.headers,
        port: target.port,
        sourceLabels: options.sourceLabels,
        sourceNamespace: options.sourceNamespace,
      })
    : undefined;

  if (!decision || decision.kind === 'no-virtual-host') {
    if (!options.passthrough) return sendLocalReply(res, noRoute(target.authority));
    // PassthroughCluster: a host the mesh does not know goes where the app asked.
    const pool = options.pools.get(originOf(target.host, target.port));
    return forward(pool, req, res, { method, path: target.path, headers }).then((r) => (r.retriable && r.reply ? sendLocalReply(res, r.reply) : r));
  }
  if (decision.kind === 'no-route') return sendLocalReply(res, noRoute(target.authority));

  const action = decision.route.route.action;
  if (action.kind === 'redirect') {
    const location = `${action.scheme ?? 'http'}://${action.authority ?? target.authority}${action.uri ?? target.path}`;
    res.writeHead(action.redirectCode, { location, 'content-length': 0 });
    res.end();
    return { status: action.redirectCode, flag: '-', retriable: false };
  }

  const weighted = pickCluster(decision.route, random);
  const attempts = 1 + (action.retries?.attempts ?? 2);
  let last: ForwardResult | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const cluster = snapshot.clusters.get(weighted.cluster);
    const endpoint = cluster?.pick();
    if (!endpoint) return sendLocalReply(res, noHealthyUpstream(weighted.cluster));
    last = await forward(options.pools.get(endpoint.origin), req, res, { method, path: target.path, headers });
    if (!last.retriable) return last;
  }
  return last?.reply ? sendLocalReply(res, last.reply) : (last as ForwardResult);
}

export type { CompiledSnapshot };
