// The sidecar's inbound listener (Istio's 15006): peers' sidecars call it, over mutual TLS or
// (when PeerAuthentication allows) plaintext on the same port. Each request is checked against
// the AuthorizationPolicies in force for this workload, on the caller's verified SPIFFE
// identity, before it is handed to the local app over a keep-alive pool.
//
// It runs on Skiff's own HTTP/1.1 codec (../http1), not node:http: heads are parsed once into a
// flat list, bodies move as they arrive, and the app's connections are the codec's client pool.
import type { Server } from 'node:net';
import type { HopSpan, HopTracer, Logger } from '@skiff/telemetry';
import { upstreamConnectFailure, upstreamReset, type LocalReply } from '../core/errors.js';
import { forwardableHeaders } from '../core/hop-by-hop.js';
import { ensureRequestId } from '../core/request-id.js';
import type { SnapshotHolder } from '../core/snapshot-holder.js';
import { replyOnStream } from '../core/stream-reply.js';
import type { WorkloadIdentity } from '../security/identity.js';
import { checkRequest } from '../security/request-security.js';
import { decodePeerMetadata, PEER_METADATA_HEADER } from '../core/peer-metadata.js';
import { traceHeadersOf, type RequestEvent, type RequestObserver } from '../core/request-event.js';
import { ClientPool, type ClientPoolStats } from '../http1/client-pool.js';
import { listOf, recordOf } from '../http1/field-list.js';
import { forwardStream, type ForwardOutcome } from '../http1/forward-stream.js';
import { ServerConnection, type ServerStream } from '../http1/server-connection.js';
import { createSniffingServer, peerPrincipal, type PeerAuthMode } from './connection-sniffer.js';
import { DownstreamGuard } from '../downstream/downstream-guard.js';

export interface InboundOptions {
  host: string;
  port: number;
  appHost: string;
  appPort: number;
  /** The service port this listener stands for (PeerAuthentication portLevelMtls, authz `ports`). */
  servicePort: number;
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

export async function startInboundListener(options: InboundOptions): Promise<{ server: Server; stats: InboundStats; appPool: () => Record<string, ClientPoolStats> }> {
  const stats: InboundStats = { refused: 0, mtlsConnections: 0, plaintextConnections: 0, denied: 0 };
  const tlsOptions = () => {
    const cert = options.identity?.current;
    return cert ? { generation: cert.generation, options: { key: cert.tls.key, cert: cert.tls.cert, ca: cert.tls.ca, minVersion: 'TLSv1.2' as const } } : undefined;
  };
  const mode = (): PeerAuthMode => options.holder.current?.peerAuthMode([options.servicePort, options.appPort]) ?? 'PERMISSIVE';
  const guard = options.guard ?? new DownstreamGuard(`inbound :${options.port}`, options.logger);
  // The app's connections (Envoy's inbound|<port>|| cluster), kept alive between requests.
  const pool = new ClientPool({ host: options.appHost, port: options.appPort, idleTimeoutMs: 30_000, connectTimeoutMs: 10_000 });
  const { limits } = guard;
  const connectionOptions = {
    limits: { maxHeadBytes: limits.maxHeadBytes, maxHeaders: 100 },
    requestHeadersTimeoutMs: limits.requestHeadersTimeoutMs,
    idleTimeoutMs: limits.idleTimeoutMs,
    streamIdleTimeoutMs: limits.streamIdleTimeoutMs,
    onProtocolError: (error: { status: number; detail: string; message: string }, socket: { remoteAddress?: string }) =>
      options.logger.debug({ listener: 'inbound', remote: socket.remoteAddress, status: error.status, detail: error.detail, why: error.message }, 'request refused: not valid HTTP/1.1'),
  };
  const server = createSniffingServer({
    mode,
    tlsOptions,
    admit: (socket) => guard.admit(socket),
    onConnection: (socket) => {
      if ('encrypted' in socket) stats.mtlsConnections++;
      else stats.plaintextConnections++;
      new ServerConnection(socket, (stream) => handle(options, pool, guard, stats, stream), connectionOptions);
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
  server.on('close', () => {
    guard.close();
    pool.close();
  });
  return { server, stats, appPool: () => ({ [`http://${options.appHost}:${options.appPort}`]: pool.stats }) };
}

function handle(options: InboundOptions, pool: ClientPool, guard: DownstreamGuard, stats: InboundStats, stream: ServerStream): void {
  const { refusal, done } = guard.beginRequest(stream.socket);
  const head = stream.head;
  const received = recordOf(head.headers);
  const peer = peerPrincipal(stream.socket);
  const caller = peer ? decodePeerMetadata(received[PEER_METADATA_HEADER]) : {};
  // The forwarded copy, derived from the record already built; the codec writes the framing.
  const headers = forwardableHeaders(received);
  delete headers['content-length'];
  delete headers[PEER_METADATA_HEADER];
  // Only this proxy may say who the caller is (Envoy sanitizes XFCC the same way).
  delete headers['x-forwarded-client-cert'];
  if (peer && options.identity) headers['x-forwarded-client-cert'] = `By=${options.identity.spiffeId};URI=${peer.spiffeId}`;
  ensureRequestId(headers);
  const span = options.tracer?.start('server', headers);
  const exchange: Exchange = { startTime: Date.now(), t0: performance.now(), status: 0, flag: '-' };
  const finish = () => {
    done();
    if (options.observer || span) observe(options, stream, received, headers, peer, caller, span, exchange);
  };
  const local = (reply: LocalReply & { headers?: Record<string, string> }) => {
    exchange.status = stream.responseStarted ? exchange.status : reply.status;
    exchange.flag = reply.flag;
    replyOnStream(stream, reply, reply.headers);
    finish();
  };
  if (refusal) return local({ ...refusal, headers: { 'x-envoy-overloaded': 'true' } });

  void checkRequest(options.holder.current, { url: head.target, method: head.method, headers: received, remoteAddress: stream.socket.remoteAddress }, headers, peer, options.servicePort)
    .then(async (verdict) => {
      if (!verdict.ok && verdict.reply) {
        if (verdict.reply.status === 403) stats.denied++;
        options.logger.info({ status: verdict.reply.status, principal: peer?.principal ?? '(plaintext)', path: head.target }, 'request refused by RequestAuthentication/AuthorizationPolicy');
        return local(verdict.reply);
      }
      // The client may have left while the policies were checked (a JWKS fetch can take a while).
      if (stream.socket.destroyed) {
        exchange.flag = 'DC';
        return finish();
      }
      const outcome = await forwardStream(stream, pool, { method: head.method, path: verdict.path, headers: listOf(headers) });
      settle(outcome, exchange, local);
      if (outcome.kind !== 'failed-before-response') finish();
    })
    .catch((error: unknown) => {
      options.logger.error({ error: error instanceof Error ? error.stack : String(error) }, 'inbound request failed inside the proxy');
      local({ status: 500, body: 'internal proxy error\n', flag: 'DPE' });
    });
}

interface Exchange {
  startTime: number;
  t0: number;
  status: number;
  flag: string;
}

/** What a forward's outcome means for the client and the access log, as Envoy reports it. */
function settle(outcome: ForwardOutcome, exchange: Exchange, local: (reply: LocalReply) => void): void {
  switch (outcome.kind) {
    case 'relayed':
      exchange.status = outcome.status;
      return;
    case 'failed-before-response':
      local(outcome.connectFailure ? upstreamConnectFailure('connection failure') : upstreamReset('connection termination'));
      return;
    case 'reset':
      // The app's answer was cut off after it began: Envoy's UC (upstream connection termination).
      exchange.status = outcome.status;
      exchange.flag = 'UC';
      return;
    case 'client-gone':
      exchange.flag = 'DC';
      return;
  }
}

function observe(
  options: InboundOptions,
  stream: ServerStream,
  received: Record<string, string | string[]>,
  headers: Record<string, string | string[]>,
  peer: ReturnType<typeof peerPrincipal>,
  caller: Partial<RequestEvent['source']>,
  span: HopSpan | undefined,
  exchange: Exchange,
): void {
  const userAgent = received['user-agent'];
  const event: RequestEvent = {
    reporter: 'destination',
    startTime: exchange.startTime,
    durationMs: performance.now() - exchange.t0,
    method: stream.head.method,
    path: stream.head.target,
    authority: stream.head.host,
    protocol: 'http',
    requestId: String(headers['x-request-id'] ?? ''),
    userAgent: typeof userAgent === 'string' ? userAgent : undefined,
    responseCode: exchange.status,
    responseFlags: exchange.flag,
    requestBytes: stream.bytesReceived,
    responseBytes: stream.bytesSent,
    upstreamHost: `${options.appHost}:${options.appPort}`,
    upstreamCluster: `inbound|${options.servicePort}||`,
    source: { workload: caller.workload ?? 'unknown', namespace: caller.namespace ?? peer?.namespace ?? 'unknown', app: caller.app, version: caller.version, ...(peer ? { principal: peer.spiffeId } : {}) },
    destination: { ...(options.self ?? {}), ...(options.identity ? { principal: options.identity.spiffeId } : {}) },
    connectionSecurityPolicy: peer ? 'mutual_tls' : 'none',
    traceHeaders: traceHeadersOf(received),
  };
  options.observer?.(event);
  span?.end(event);
}
