// The sidecar's inbound listener (Istio's 15006): peers' sidecars call it, over mutual TLS or
// (when PeerAuthentication allows) plaintext on the same port. Each request is checked against
// the AuthorizationPolicies in force for this workload, on the caller's verified SPIFFE
// identity, before it is handed to the local app over a keep-alive pool.
//
// It runs on Skiff's own HTTP/1.1 codec (../http1), not node:http: heads are parsed once into a
// flat list, bodies move as they arrive, and the app's connections are the codec's client pool.
import { H2ClientPool } from '../http2/h2-client-pool.js';
import type { UpstreamPool, UpstreamProtocol } from '../chain/upstream-connection.js';
import type { Server } from 'node:net';
import type { HopTracer, Logger } from '@skiff/telemetry';
import { HttpConnectionManager } from '../chain/connection-manager.js';
import { FilterChain } from '../chain/filter-chain.js';
import { appRouterFilter } from '../chain/filters/app-router.js';
import { observeFilter } from '../chain/filters/observe.js';
import { peerIdentityFilter } from '../chain/filters/peer-identity.js';
import { requestIdFilter } from '../chain/filters/request-id.js';
import { securityFilter } from '../chain/filters/request-security.js';
import { tracingFilter } from '../chain/filters/tracing.js';
import type { SnapshotHolder } from '../core/snapshot-holder.js';
import type { RequestEvent, RequestObserver } from '../core/request-event.js';
import type { WorkloadIdentity } from '../security/identity.js';
import { ClientPool, type ClientPoolStats } from '../http1/client-pool.js';
import { createSniffingServer, peerPrincipal, type PeerAuthMode } from './connection-sniffer.js';
import { DownstreamGuard } from '../downstream/downstream-guard.js';
import { acceptInboundTcp } from '../tcp/inbound-tcp.js';
import { DEFAULT_PROTOCOL_DETECTION_TIMEOUT_MS, detectProtocol } from './protocol-detection.js';
import type { TcpObserver } from '../tcp/tcp-event.js';

export interface InboundOptions {
  host: string;
  port: number;
  appHost: string;
  appPort: number;
  /** The service port this listener stands for (PeerAuthentication portLevelMtls, authz `ports`). */
  servicePort: number;
  /** How the app is spoken to when its port's protocol is declared; absent: as the client spoke. */
  appProtocol?: UpstreamProtocol;
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
  /**
   * What the port carries: HTTP (the default); TCP (tcp, tls, mongo…: each connection is
   * authorized once and tunnelled to the app); or, undeclared, what each connection's first bytes
   * say (inbound/protocol-detection.ts).
   */
  carries?: 'http' | 'tcp' | 'sniffed';
  /** TCP and sniffed ports: how long a client may send nothing before it is carried as plaintext TCP (0: until the request-headers timeout). */
  detectionTimeoutMs?: number;
  tcpObserver?: TcpObserver;
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
  const carries = options.carries ?? 'http';
  const detectionTimeoutMs = options.detectionTimeoutMs ?? DEFAULT_PROTOCOL_DETECTION_TIMEOUT_MS;
  const tlsOptions = () => {
    const cert = options.identity?.current;
    return cert ? { generation: cert.generation, options: { key: cert.tls.key, cert: cert.tls.cert, ca: cert.tls.ca, minVersion: 'TLSv1.2' as const } } : undefined;
  };
  const mode = (): PeerAuthMode => options.holder.current?.peerAuthMode([options.servicePort, options.appPort]) ?? 'PERMISSIVE';
  const guard = options.guard ?? new DownstreamGuard(`inbound :${options.port}`, options.logger);
  // The app's connections (Envoy's inbound|<port>|| cluster), kept alive between requests.
  // The app is spoken to in the protocol the client used (h2c to an app that was sent HTTP/2).
  const pool = new ClientPool({ host: options.appHost, port: options.appPort, idleTimeoutMs: 30_000, connectTimeoutMs: 10_000 });
  let h2Pool: H2ClientPool | undefined;
  // A port whose protocol is declared (--service-port-name grpc…) is spoken to in it whatever the client spoke.
  const poolFor = (clientProtocol: UpstreamProtocol): UpstreamPool => ((options.appProtocol ?? clientProtocol) === 'HTTP/2' ? (h2Pool ??= new H2ClientPool({ host: options.appHost, port: options.appPort, idleTimeoutMs: 30_000, connectTimeoutMs: 10_000 })) : pool);
  const destination = { ...(options.self ?? {}), ...(options.identity ? { principal: options.identity.spiffeId } : {}) };
  const manager = new HttpConnectionManager({
    name: 'inbound',
    holder: options.holder,
    guard,
    logger: options.logger,
    source: { workload: 'unknown', namespace: 'unknown' },
    buildChain: (snapshot) =>
      new FilterChain(
        [
          observeFilter('destination', options.observer, options.tracer !== undefined),
          peerIdentityFilter(options.identity?.spiffeId),
          requestIdFilter,
          tracingFilter(options.tracer, 'server'),
          securityFilter(snapshot, {
            port: options.servicePort,
            peer: (x) => peerPrincipal(x.stream.socket),
            onDenied: (x, status) => {
              if (status === 403) stats.denied++;
              options.logger.info({ status, principal: x.source.principal ?? '(plaintext)', path: x.head.target }, 'request refused by RequestAuthentication/AuthorizationPolicy');
            },
          }),
          appRouterFilter(poolFor, `inbound|${options.servicePort}||`, destination, Math.random),
        ],
        options.logger,
      ),
  });
  const server = createSniffingServer({
    mode,
    tcp: carries === 'tcp',
    // A TCP or undeclared port: a silent client (a server-first protocol) is carried as plaintext TCP.
    ...(carries === 'http' ? {} : { firstByteTimeoutMs: detectionTimeoutMs }),
    tlsOptions,
    admit: (socket) => guard.admit(socket),
    onConnection: (socket, silent) => {
      if ('encrypted' in socket) stats.mtlsConnections++;
      else stats.plaintextConnections++;
      const asTcp = () => {
        // One long "request" to the guard: no request-headers or idle timer, never evicted as idle.
        socket.once('close', guard.beginRequest(socket).done);
        acceptInboundTcp(socket, options.holder.current, {
          appHost: options.appHost,
          appPort: options.appPort,
          servicePort: options.servicePort,
          self: destination,
          logger: options.logger,
          ...(options.tcpObserver ? { observer: options.tcpObserver } : {}),
          onDenied: () => stats.denied++,
        });
      };
      // A TCP port, or nothing came within the detection timeout (a server-first protocol).
      if (carries === 'tcp' || (carries === 'sniffed' && silent)) {
        asTcp();
        return 'paused';
      }
      if (carries === 'sniffed') {
        detectProtocol(socket, detectionTimeoutMs, (protocol) => {
          if (protocol === 'tcp') return asTcp();
          // Not resumed here: an HTTP/2 session (TLS that negotiated h2) takes the socket's handle
          // over and must be its only reader; manager.accept reads what else it serves.
          manager.accept(socket);
        });
        return 'paused';
      }
      manager.accept(socket);
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
  Object.assign(server, { closeIdleConnections: () => manager.closeIdleConnections() });
  server.on('close', () => {
    guard.close();
    pool.close();
    h2Pool?.close();
  });
  const origin = `http://${options.appHost}:${options.appPort}`;
  return { server, stats, appPool: () => ({ [origin]: pool.stats, ...(h2Pool ? { [`${origin}|h2`]: h2Pool.stats } : {}) }) };
}

