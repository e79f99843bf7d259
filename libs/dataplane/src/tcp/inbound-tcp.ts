// The inbound side of a TCP port: a peer's connection (mutual TLS, or plaintext where
// PeerAuthentication allows it) is authorized once, on the caller's verified identity, its
// address and the port (Istio's TCP RBAC filter: a denied connection is closed before any byte
// reaches the app), then tunnelled to the app, and reported with reporter="destination".
import { connect, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Logger } from '@skiff/telemetry';
import type { CompiledSnapshot } from '../core/compiled-snapshot.js';
import type { RequestEvent } from '../core/request-event.js';
import { PEER_EXCHANGE_ALPN, readPeerPreamble } from '../core/peer-metadata.js';
import { peerPrincipal } from '../inbound/connection-sniffer.js';
import { Tunnel, TUNNEL_FLAGS } from '../upgrade/tunnel.js';
import { TcpReport, type TcpObserver } from './tcp-event.js';
import { TCP_IDLE_TIMEOUT_MS } from './tcp-proxy.js';

export interface InboundTcpOptions {
  appHost: string;
  appPort: number;
  servicePort: number;
  self: RequestEvent['destination'];
  logger: Logger;
  observer?: TcpObserver;
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** How often an open connection's bytes are reported (default TCP_REPORTING_MS, 5 s). */
  reportingMs?: number;
  onDenied?: () => void;
}

/** How long a peer that negotiated the exchange may take to send its preamble (it sends it at once). */
const PREAMBLE_WAIT_MS = 5000;

export function acceptInboundTcp(socket: Socket | TLSSocket, snapshot: CompiledSnapshot | undefined, options: InboundTcpOptions): void {
  socket.pause();
  // A peer sidecar that negotiated the exchange says first which workload it is (peer-metadata.ts).
  if (!(socket instanceof TLSSocket) || socket.alpnProtocol !== PEER_EXCHANGE_ALPN) return carry(socket, snapshot, options, {});
  let got = Buffer.alloc(0);
  const done = (metadata: Partial<RequestEvent['source']>, rest: Buffer) => {
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('close', onClose);
    socket.pause();
    if (rest.length > 0) socket.unshift(rest);
    carry(socket, snapshot, options, metadata);
  };
  const onData = (chunk: Buffer) => {
    got = Buffer.concat([got, chunk]);
    const read = readPeerPreamble(got);
    if (read.kind === 'more') return;
    if (read.kind === 'invalid') {
      clearTimeout(timer);
      options.logger.info({ principal: peerPrincipal(socket)?.principal, why: read.why }, 'inbound TCP: refused a malformed peer metadata preamble');
      socket.destroy();
      return;
    }
    if (read.kind === 'none') return done({}, got);
    done(read.metadata, read.rest);
  };
  const onClose = () => clearTimeout(timer);
  const timer = setTimeout(() => done({}, got), PREAMBLE_WAIT_MS);
  socket.on('data', onData);
  socket.once('close', onClose);
  socket.resume();
}

function carry(socket: Socket | TLSSocket, snapshot: CompiledSnapshot | undefined, options: InboundTcpOptions, caller: Partial<RequestEvent['source']>): void {
  const peer = peerPrincipal(socket);
  const report = new TcpReport(
    {
      reporter: 'destination',
      phase: 'open',
      startTime: Date.now(),
      durationMs: 0,
      bytesReceived: 0,
      bytesSent: 0,
      responseFlags: '-',
      // The workload, app and version the caller's sidecar named; its namespace and principal from its certificate.
      source: { workload: caller.workload ?? 'unknown', namespace: peer?.namespace ?? 'unknown', app: caller.app, version: caller.version, ...(peer ? { principal: peer.spiffeId } : {}) },
      destination: options.self,
      connectionSecurityPolicy: peer ? 'mutual_tls' : 'none',
      upstreamCluster: `inbound|${options.servicePort}||`,
      upstreamHost: `${options.appHost}:${options.appPort}`,
    },
    options.observer,
  );
  report.open();
  const decision = snapshot?.authorizeTcp({ principal: peer?.principal, namespace: peer?.namespace, sourceIp: socket.remoteAddress, method: '', path: '', host: '', port: options.servicePort, headers: {} });
  if (decision && !decision.allowed) {
    options.onDenied?.();
    options.logger.info({ principal: peer?.principal ?? '(plaintext)', port: options.servicePort, reason: decision.reason }, 'TCP connection refused by AuthorizationPolicy');
    report.close('RBAC', 0, 0);
    socket.destroy();
    return;
  }
  const app = connect({ host: options.appHost, port: options.appPort });
  const timer = setTimeout(() => app.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), options.connectTimeoutMs ?? 10_000);
  const downstreamGone = () => {
    clearTimeout(timer);
    app.destroy();
    report.close('DC', 0, 0);
  };
  socket.once('close', downstreamGone);
  app.once('error', (error: NodeJS.ErrnoException) => {
    clearTimeout(timer);
    socket.off('close', downstreamGone);
    options.logger.debug({ error: error.code ?? error.message }, 'inbound TCP: the app refused the connection');
    report.close('UF', 0, 0);
    socket.destroy();
  });
  app.once('connect', () => {
    clearTimeout(timer);
    socket.off('close', downstreamGone);
    app.setNoDelay(true);
    const tunnel = new Tunnel({ socket, pending: Buffer.alloc(0) }, { socket: app, pending: Buffer.alloc(0) }, options.idleTimeoutMs ?? TCP_IDLE_TIMEOUT_MS, (result) =>
      report.close(TUNNEL_FLAGS[result.ending], result.bytesUp, result.bytesDown),
    );
    report.track(() => ({ received: tunnel.bytesUp, sent: tunnel.bytesDown }), options.reportingMs);
  });
}
