// The sidecar's inbound listener (Istio's 15006): peers' sidecars call it, over mutual TLS or
// (when PeerAuthentication allows) plaintext on the same port. Each request is checked against
// the AuthorizationPolicies in force for this workload, on the caller's verified SPIFFE
// identity, before it is handed to the local app over a keep-alive pool.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Server } from 'node:net';
import type { HopSpan, HopTracer, Logger } from '@skiff/telemetry';
import { forward, localReplyFlags, sendLocalReply } from '../core/forward.js';
import { forwardableHeaders } from '../core/hop-by-hop.js';
import { ensureRequestId } from '../core/request-id.js';
import type { SnapshotHolder } from '../core/snapshot-holder.js';
import { originOf, type UpstreamPools } from '../core/upstream-pools.js';
import type { WorkloadIdentity } from '../security/identity.js';
import { checkRequest } from '../security/request-security.js';
import { decodePeerMetadata, PEER_METADATA_HEADER } from '../core/peer-metadata.js';
import { countResponseBytes, traceHeadersOf, type RequestEvent, type RequestObserver } from '../core/request-event.js';
import { createSniffingServer, peerPrincipal, type PeerAuthMode } from './connection-sniffer.js';
import { DownstreamGuard } from '../downstream/downstream-guard.js';

export interface InboundOptions {
  host: string;
  port: number;
  appHost: string;
  appPort: number;
  /** The service port this listener stands for (PeerAuthentication portLevelMtls, authz `ports`). */
  servicePort: number;
  pools: UpstreamPools;
  holder: SnapshotHolder;
  identity?: WorkloadIdentity;
  logger: Logger;
  observer?: RequestObserver;
  /** A server span per request, the child of the caller's client span. */
  tracer?: HopTracer;
  /** This workload, the `destination` of requests it receives. */
  self?: RequestEvent['destination'];
  /** Connection cap, timeouts and overload actions for this listener (defaults when absent). */
  guard?: DownstreamGuard;
}

export interface InboundStats {
  refused: number;
  lastRefusal?: string;
  mtlsConnections: number;
  plaintextConnections: number;
  denied: number;
}

export async function startInboundListener(options: InboundOptions): Promise<{ server: Server; stats: InboundStats }> {
  const appOrigin = originOf(options.appHost, options.appPort);
  const stats: InboundStats = { refused: 0, mtlsConnections: 0, plaintextConnections: 0, denied: 0 };
  const tlsOptions = () => {
    const cert = options.identity?.current;
    return cert ? { generation: cert.generation, options: { key: cert.tls.key, cert: cert.tls.cert, ca: cert.tls.ca, minVersion: 'TLSv1.2' as const } } : undefined;
  };
  const mode = (): PeerAuthMode => options.holder.current?.peerAuthMode([options.servicePort, options.appPort]) ?? 'PERMISSIVE';

  const guard = options.guard ?? new DownstreamGuard(`inbound :${options.port}`, options.logger);
  const http = createHttpServer(
    guard.httpServerOptions(),
    guard.wrap((req, res) => handle(options, appOrigin, stats, req, res)),
  );
  guard.configure(http);
  const server = createSniffingServer({
    mode,
    admit: (socket) => guard.admit(socket),
    tlsOptions,
    onConnection: (socket) => {
      if ('encrypted' in socket) stats.mtlsConnections++;
      else stats.plaintextConnections++;
      http.emit('connection', socket);
    },
    onRefused: (why) => {
      stats.refused++;
      stats.lastRefusal = why;
      options.logger.debug({ why }, 'inbound connection refused');
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new Error(`inbound listener cannot bind ${options.host}:${options.port}: ${error.code ?? error.message}`)));
    server.listen(options.port, options.host, () => resolve());
  });
  server.on('close', () => http.close());
  return { server, stats };
}

function handle(options: InboundOptions, appOrigin: string, stats: InboundStats, req: IncomingMessage, res: ServerResponse): void {
  const peer = peerPrincipal(req.socket);
  const headers = forwardableHeaders(req.headers);
  const caller = peer ? decodePeerMetadata(req.headers[PEER_METADATA_HEADER]) : {};
  delete headers[PEER_METADATA_HEADER];
  // Only this proxy may say who the caller is (Envoy sanitizes XFCC the same way).
  delete headers['x-forwarded-client-cert'];
  if (peer && options.identity) headers['x-forwarded-client-cert'] = `By=${options.identity.spiffeId};URI=${peer.spiffeId}`;
  ensureRequestId(headers);
  const span = options.tracer?.start('server', headers);
  if (options.observer || span) observe(options, req, res, peer, caller, span);

  void checkRequest(options.holder.current, req, headers, peer, options.servicePort)
    .then((verdict) => {
      if (!verdict.ok && verdict.reply) {
        if (verdict.reply.status === 403) stats.denied++;
        options.logger.info({ status: verdict.reply.status, principal: peer?.principal ?? '(plaintext)', path: req.url }, 'request refused by RequestAuthentication/AuthorizationPolicy');
        sendLocalReply(res, verdict.reply, verdict.reply.headers ?? {});
        return;
      }
      return forwardToApp(options, appOrigin, req, res, headers, verdict.path);
    })
    .catch((error: unknown) => {
      options.logger.error({ error: String(error) }, 'inbound request failed inside the proxy');
      if (!res.headersSent) sendLocalReply(res, { status: 500, body: 'internal proxy error\n', flag: 'DPE' });
      else res.destroy();
    });
}

function observe(options: InboundOptions, req: IncomingMessage, res: ServerResponse, peer: ReturnType<typeof peerPrincipal>, caller: Partial<RequestEvent['source']>, span: HopSpan | undefined): void {
  const startTime = Date.now();
  const t0 = performance.now();
  const bytes = countResponseBytes(res);
  // The request is over when its last byte is written ('finish'); 'close' can come later when
  // the event loop is busy, and a span ending then would outlast its caller's span.
  let finishedAt: number | undefined;
  res.once('finish', () => (finishedAt = performance.now()));
  res.once('close', () => {
    const url = req.url ?? '/';
    const event: RequestEvent = {
      reporter: 'destination',
      startTime,
      durationMs: (finishedAt ?? performance.now()) - t0,
      method: req.method ?? 'GET',
      path: url,
      authority: String(req.headers.host ?? ''),
      protocol: 'http',
      requestId: String(req.headers['x-request-id'] ?? ''),
      userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : undefined,
      responseCode: res.headersSent ? res.statusCode : 0,
      responseFlags: localReplyFlags.get(res) ?? (res.writableFinished ? '-' : 'DC'),
      requestBytes: Number(req.headers['content-length'] ?? 0) || 0,
      responseBytes: bytes(),
      upstreamHost: `${options.appHost}:${options.appPort}`,
      upstreamCluster: `inbound|${options.servicePort}||`,
      source: { workload: caller.workload ?? 'unknown', namespace: caller.namespace ?? peer?.namespace ?? 'unknown', app: caller.app, version: caller.version, ...(peer ? { principal: peer.spiffeId } : {}) },
      destination: { ...(options.self ?? {}), ...(options.identity ? { principal: options.identity.spiffeId } : {}) },
      connectionSecurityPolicy: peer ? 'mutual_tls' : 'none',
      traceHeaders: traceHeadersOf(req.headers),
    };
    options.observer?.(event);
    span?.end(event);
  });
}

function forwardToApp(options: InboundOptions, appOrigin: string, req: IncomingMessage, res: ServerResponse, headers: ReturnType<typeof forwardableHeaders>, path: string): Promise<void> {
  const pool = options.pools.get(appOrigin);
  return forward(pool, req, res, { method: req.method ?? 'GET', path, headers }).then((result) => {
    if (result.retriable && result.reply) sendLocalReply(res, result.reply);
  });
}
