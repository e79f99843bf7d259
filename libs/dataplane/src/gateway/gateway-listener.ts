// The ingress gateway's listener: outside traffic arrives on a local port that stands for a
// Gateway server port (Kubernetes would map service port 80 to container port 8080), and is
// routed by the VirtualServices bound to that Gateway. Each new connection looks at the
// snapshot in force: when the port's Gateway servers terminate TLS (SIMPLE or MUTUAL) it is
// handed to the TLS terminator, otherwise it is plaintext HTTP, where servers with
// `httpsRedirect` answer 301 to https.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { GatewayServerSnapshot } from '@skiff/api';
import type { HopTracer, Logger } from '@skiff/telemetry';
import { createRouterHandler } from '../core/http-router.js';
import type { RequestEvent, RequestObserver } from '../core/request-event.js';
import { requestTarget } from '../core/request-target.js';
import type { SnapshotHolder } from '../core/snapshot-holder.js';
import type { UpstreamPools } from '../core/upstream-pools.js';
import type { WorkloadCertificate } from '../security/identity.js';
import { CertificateStore } from './certificate-store.js';
import { matchServer } from './server-select.js';
import { TlsTerminator, type TlsGatewayServer } from './tls-termination.js';
import { DownstreamGuard } from '../downstream/downstream-guard.js';

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
}

export const DEFAULT_CREDENTIALS_DIR = '.skiff/credentials';

export function startGatewayListener(options: GatewayListenerOptions): Promise<Server> {
  const name = `gateway :${options.serverPort}`;
  const routeConfig = `http.${options.serverPort}`;
  const router = createRouterHandler({
    holder: options.holder,
    pools: options.pools,
    logger: options.logger,
    routeConfigName: () => routeConfig,
    passthrough: false,
    certificate: options.certificate,
    receivingSecurity: { port: options.serverPort },
    observer: options.observer,
    tracer: options.tracer,
    spanKind: 'server',
    self: options.self,
  });
  const serversOnPort = (): GatewayServerSnapshot[] => (options.holder.current?.raw.gatewayServers ?? []).filter((s) => s.port === options.serverPort);

  const guard = options.guard ?? new DownstreamGuard(name, options.logger);
  const http = createHttpServer(
    guard.httpServerOptions(),
    guard.wrap((req, res) => {
      const encrypted = (req.socket as TLSSocket).encrypted === true;
      if (!encrypted && redirectToHttps(serversOnPort(), req, res)) return;
      // The edge says how the client connected (Envoy sets it at the gateway the same way).
      req.headers['x-forwarded-proto'] = encrypted ? 'https' : 'http';
      router(req, res);
    }),
  );
  guard.configure(http);

  const terminator = new TlsTerminator({
    name,
    logger: options.logger,
    store: new CertificateStore({ name, logger: options.logger, credentialsDir: options.credentialsDir ?? DEFAULT_CREDENTIALS_DIR, recheckMs: options.tlsRecheckMs }),
    onSecureConnection: (socket) => http.emit('connection', socket),
  });

  // noDelay here: the http.Server below only sets it on sockets it accepts itself (see the inbound sniffer).
  const server = createServer({ noDelay: true }, (socket: Socket) => {
    socket.on('error', () => socket.destroy());
    if (!guard.admit(socket)) return;
    const tlsServers = serversOnPort().filter((s): s is TlsGatewayServer => s.tls !== undefined);
    if (tlsServers.length === 0) {
      http.emit('connection', socket);
      return;
    }
    terminator.accept(socket, tlsServers, options.holder.current?.version ?? '');
  });
  // closeServer() calls this: idle keep-alive connections live in the HTTP server, not here.
  Object.assign(server, {
    closeIdleConnections: () => {
      terminator.closePending();
      http.closeIdleConnections();
    },
  });
  server.on('close', () => http.close());
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(new Error(`${name} listener cannot bind ${options.host}:${options.port}: ${error.code ?? error.message}${error.code === 'EADDRINUSE' ? ' (port in use: stop the other process or pick another port)' : ''}`));
    });
    server.listen(options.port, options.host, () => resolve(server));
  });
}

/**
 * Istio's httpsRedirect (Envoy's require_tls on the virtual hosts of that server): a plaintext
 * request for a host of such a server gets 301 to the same authority and path over https.
 */
function redirectToHttps(servers: readonly GatewayServerSnapshot[], req: IncomingMessage, res: ServerResponse): boolean {
  if (!servers.some((s) => s.httpsRedirect)) return false;
  const target = requestTarget(req.url, req.headers.host);
  if (typeof target === 'string') return false;
  if (!matchServer(servers, target.host)?.httpsRedirect) return false;
  res.writeHead(301, { location: `https://${target.authority}${target.path}`, 'content-length': 0 });
  res.end();
  return true;
}
