// The ingress gateway's listener: outside traffic arrives on a local port that stands for a
// Gateway server port (Kubernetes would map service port 80 to container port 8080), and is
// routed by the VirtualServices bound to that Gateway. Each new connection looks at the
// snapshot in force: when the port's Gateway servers terminate TLS (SIMPLE or MUTUAL) it is
// handed to the TLS terminator, otherwise it is plaintext HTTP, where servers with
// `httpsRedirect` answer 301 to https.
import { createServer, type Server, type Socket } from 'node:net';
import type { GatewayServerSnapshot } from '@skiff/api';
import type { HopTracer, Logger } from '@skiff/telemetry';
import { HttpConnectionManager } from '../chain/connection-manager.js';
import { FilterChain } from '../chain/filter-chain.js';
import { faultFilter } from '../chain/filters/fault.js';
import { gatewayEdgeFilter } from '../chain/filters/gateway-edge.js';
import { mirrorFilter } from '../chain/filters/mirror.js';
import { observeFilter } from '../chain/filters/observe.js';
import { requestHeadersFilter } from '../chain/filters/request-headers.js';
import { requestIdFilter } from '../chain/filters/request-id.js';
import { securityFilter } from '../chain/filters/request-security.js';
import { routeMatchFilter } from '../chain/filters/route-match.js';
import { routerFilter } from '../chain/filters/router.js';
import { tracingFilter } from '../chain/filters/tracing.js';
import type { CompiledSnapshot } from '../core/compiled-snapshot.js';
import { bindListener } from '../core/listen.js';
import type { RequestEvent, RequestObserver } from '../core/request-event.js';
import type { SnapshotHolder } from '../core/snapshot-holder.js';
import type { UpstreamPools } from '../core/upstream-pools.js';
import { DownstreamGuard } from '../downstream/downstream-guard.js';
import type { WorkloadCertificate } from '../security/identity.js';
import { CertificateStore } from './certificate-store.js';
import { TlsTerminator, type TlsGatewayServer } from './tls-termination.js';
import type { TcpObserver } from '../tcp/tcp-event.js';
import { routeRawConnection } from '../tcp/raw-connection.js';

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
  /** Told about every request when it ends (metrics, access log, traces). */
  observer?: RequestObserver;
  tracer?: HopTracer;
  /** The gateway's workload, the `source` of the requests it sends. */
  self?: RequestEvent['source'];
  /** Where `credentialName: foo` finds `foo/tls.crt`, `foo/tls.key`, `foo/ca.crt` (default .skiff/credentials). */
  credentialsDir?: string;
  /** How often certificate files are checked for changes (default 1 s). */
  tlsRecheckMs?: number;
  /** Connection cap, timeouts and overload actions for this listener (defaults when absent). */
  guard?: DownstreamGuard;
  random?: () => number;
  /** The gateway's labels, for tcp routes' sourceLabels. */
  sourceLabels?: Readonly<Record<string, string>>;
  /** Told when a connection on a TCP server port opens and closes (istio_tcp_* metrics). */
  tcpObserver?: TcpObserver;
}

export const DEFAULT_CREDENTIALS_DIR = '.skiff/credentials';

export function startGatewayListener(options: GatewayListenerOptions): Promise<Server> {
  const name = `gateway :${options.serverPort}`;
  const random = options.random ?? Math.random;
  const serversOn = (snapshot: CompiledSnapshot | undefined): GatewayServerSnapshot[] => (snapshot?.raw.gatewayServers ?? []).filter((s) => s.port === options.serverPort);
  const guard = options.guard ?? new DownstreamGuard(name, options.logger);
  const manager = new HttpConnectionManager({
    name,
    holder: options.holder,
    guard,
    logger: options.logger,
    source: options.self ?? { workload: 'unknown', namespace: 'unknown' },
    buildChain: (snapshot) => {
      const routeConfig = snapshot?.routeConfigs.get(`http.${options.serverPort}`);
      return new FilterChain(
        [
          observeFilter('source', options.observer, options.tracer !== undefined),
          gatewayEdgeFilter(serversOn(snapshot)),
          requestIdFilter,
          tracingFilter(options.tracer, 'server'),
          securityFilter(snapshot, { port: options.serverPort }),
          routeMatchFilter(snapshot && { routeConfig: () => routeConfig, passthrough: false, random }),
          faultFilter(random),
          requestHeadersFilter,
          mirrorFilter(options.pools, options.certificate, random),
          routerFilter({ pools: options.pools, certificate: options.certificate, self: options.self, random }),
        ],
        options.logger,
      );
    },
  });

  const terminator = new TlsTerminator({
    name,
    logger: options.logger,
    store: new CertificateStore({ name, logger: options.logger, credentialsDir: options.credentialsDir ?? DEFAULT_CREDENTIALS_DIR, recheckMs: options.tlsRecheckMs }),
    onSecureConnection: (socket) => manager.accept(socket),
  });

  const server = createServer({ noDelay: true }, (socket: Socket) => {
    socket.on('error', () => socket.destroy());
    if (!guard.admit(socket)) return;
    // A TCP server port (protocol TCP, MONGO, REDIS, MYSQL): routed by tcp routes, never parsed.
    const snapshot = options.holder.current;
    const tcpService = snapshot?.tcp.byName(`tcp.${options.serverPort}`);
    if (snapshot && tcpService) {
      // A TCP connection is one long "request" to the guard: no request-headers or idle timer, never evicted as idle.
      socket.once('close', guard.beginRequest(socket).done);
      routeRawConnection(socket, {
        snapshot,
        service: tcpService,
        facts: { port: options.serverPort, destinationIp: socket.localAddress, sourceLabels: options.sourceLabels ?? {}, sourceNamespace: options.self?.namespace ?? '' },
        random,
        ...(options.certificate ? { certificate: options.certificate } : {}),
        source: options.self ?? { workload: 'unknown', namespace: 'unknown' },
        ...(options.tcpObserver ? { observer: options.tcpObserver } : {}),
        logger: options.logger,
      });
      return;
    }
    const tlsServers = serversOn(options.holder.current).filter((s): s is TlsGatewayServer => s.tls !== undefined);
    if (tlsServers.length === 0) return manager.accept(socket);
    terminator.accept(socket, tlsServers, options.holder.current?.version ?? '');
  });
  return bindListener(name, server, options.host, options.port, manager, guard).then((bound) => {
    const closeIdle = (bound as Server & { closeIdleConnections: () => void }).closeIdleConnections;
    Object.assign(bound, {
      closeIdleConnections: () => {
        terminator.closePending();
        closeIdle();
      },
    });
    return bound;
  });
}
