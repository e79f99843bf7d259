// A TCP connection routed to a cluster, as Envoy's tcp_proxy does it: the first matching tcp
// route, a weighted cluster, a host from its load balancer (ejected and unhealthy hosts skipped),
// one connect attempt (Envoy's max_connect_attempts default) within the cluster's connect timeout,
// mutual TLS when a sidecar fronts the host (Istio's auto mTLS), then a byte tunnel with both
// sides' half-close and the idle timeout (Istio's default tcp idleTimeout: 1 hour). A connection
// that cannot be routed is closed and flagged as Envoy flags it: NR, NC, UH, UO or UF.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { Logger } from '@skiff/telemetry';
import type { Host } from '../cluster/index.js';
import type { ClusterRuntime } from '../core/cluster-runtime.js';
import type { CompiledSnapshot } from '../core/compiled-snapshot.js';
import { destinationService, type RequestEvent } from '../core/request-event.js';
import { encodePeerPreamble, PEER_EXCHANGE_ALPN } from '../core/peer-metadata.js';
import { peerTlsOptions } from '../core/upstream-pools.js';
import type { WorkloadCertificate } from '../security/identity.js';
import { peerTlsFor } from '../security/peer-tls.js';
import { MESH_TCP_ALPN } from '../inbound/connection-sniffer.js';
import { Tunnel, TUNNEL_FLAGS, type TunnelEnd, type TunnelResult } from '../upgrade/tunnel.js';
import { TcpReport, type TcpObserver } from './tcp-event.js';
import { pickTcpCluster, selectTcpRoute, type CompiledTcpService, type TcpConnectionFacts } from './tcp-route-table.js';

/** Istio's default for DestinationRule connectionPool.tcp.idleTimeout (Envoy tcp_proxy idle_timeout). */
export const TCP_IDLE_TIMEOUT_MS = 3_600_000;

export interface TcpRouteOptions {
  snapshot: CompiledSnapshot;
  service: CompiledTcpService;
  facts: TcpConnectionFacts;
  random: () => number;
  certificate?: () => WorkloadCertificate | undefined;
  source: RequestEvent['source'];
  observer?: TcpObserver;
  /** What the caller asked for (a CONNECT authority), for the access log. */
  authority?: string;
  /** Where the caller was going: a ServiceEntry with resolution NONE sends the connection there. */
  originalDestination?: { host: string; port: number };
  logger?: Pick<Logger, 'debug'>;
  idleTimeoutMs?: number;
  /** How often an open connection's bytes are reported (default TCP_REPORTING_MS, 5 s). */
  reportingMs?: number;
  /** Registers what to do if the downstream goes away while the upstream is being connected. */
  onDownstreamGone(abort: () => void): void;
  /** The upstream is connected: hand over the downstream side of the tunnel (a CONNECT answers 200 first). */
  onConnected(connection: TcpUpstream): TunnelEnd;
  /** No upstream: a raw connection is closed, a CONNECT answered. `flag` is Envoy's response flag. */
  onFailed(flag: string, why: string): void;
  /** The tunnel ended (both directions closed, a reset, or the idle timeout). */
  onClosed?(result: TunnelResult): void;
}

/** Where a connection went, for the caller's own records. */
export interface TcpUpstream {
  cluster: string;
  host: string;
  destination: RequestEvent['destination'];
  mtls: boolean;
}

/** Routes one connection; everything after is callbacks. */
export function routeTcpConnection(options: TcpRouteOptions): void {
  const report = new TcpReport(
    {
      reporter: 'source',
      phase: 'open',
      startTime: Date.now(),
      durationMs: 0,
      bytesReceived: 0,
      bytesSent: 0,
      responseFlags: '-',
      source: options.source,
      destination: { service: options.service.service.name.replace(/:\d+$/, '') },
      connectionSecurityPolicy: 'none',
      ...(options.authority ? { authority: options.authority } : {}),
    },
    options.observer,
  );
  const fail = (flag: string, why: string): void => {
    report.close(flag, 0, 0);
    options.onFailed(flag, why);
  };
  const route = selectTcpRoute(options.service, options.facts);
  if (!route) return fail('NR', `no tcp route of ${options.service.service.name} matches this connection`);
  report.event.route = route.route.name;
  const name = pickTcpCluster(route, options.random);
  const cluster = name === undefined ? undefined : options.snapshot.clusters.get(name);
  if (name !== undefined) report.event.upstreamCluster = name;
  if (!cluster) return fail('NC', `cluster ${name ?? '(all weights 0)'} is not known to this proxy`);
  report.event.destination = destinationService(cluster.cluster);
  if (cluster.cluster.originalDestination) {
    const target = options.originalDestination;
    if (!target) return fail('UH', `${cluster.name} sends each connection where its caller was going, and this connection named no destination`);
    if (!cluster.breaker.tryOpenConnection()) return fail('UO', `${cluster.name} is at its maxConnections`);
    return dial(options, report, cluster, { address: target.host, port: target.port, key: `${target.host}:${target.port}` });
  }
  const host = cluster.pickHost(undefined, []);
  if (!host) return fail('UH', `no healthy upstream in ${cluster.name}`);
  if (!cluster.breaker.tryOpenConnection()) return fail('UO', `${cluster.name} is at its maxConnections`);
  dial(options, report, cluster, { address: host.address, port: host.port, key: host.key }, host);
}

function destinationOf(cluster: ClusterRuntime, host: Host): RequestEvent['destination'] {
  const endpoint = host.endpoint as typeof host.endpoint & { identity?: string };
  const [workload, namespace] = endpoint.workload.split('.');
  return { workload, namespace, ...destinationService(cluster.cluster), app: endpoint.labels['app'], version: endpoint.labels['version'], ...(endpoint.identity ? { principal: endpoint.identity } : {}) };
}

function dial(options: TcpRouteOptions, report: TcpReport, cluster: ClusterRuntime, target: { address: string; port: number; key: string }, host?: Host): void {
  const certificate = options.certificate?.();
  const peerTls = host ? peerTlsFor(certificate, cluster, host) : undefined;
  // TLS the sidecar originates to a destination without a sidecar (DestinationRule tls SIMPLE/MUTUAL).
  const origination = peerTls ? undefined : cluster.originationFor(host ? cluster.cluster.service : target.address);
  if (origination && 'error' in origination) {
    cluster.breaker.closeConnection();
    report.close('UF', 0, 0);
    return options.onFailed('UF', origination.error);
  }
  report.event.upstreamHost = target.key;
  if (host) report.event.destination = destinationOf(cluster, host);
  if (peerTls) {
    report.event.connectionSecurityPolicy = 'mutual_tls';
    if (certificate?.spiffeId && report.event.source.principal === undefined) report.event.source = { ...report.event.source, principal: certificate.spiffeId };
  }
  report.open();
  const upstream: Socket = peerTls
    ? tlsConnect({ ...peerTlsOptions(peerTls), host: target.address, port: target.port, ALPNProtocols: MESH_TCP_ALPN })
    : origination
      ? tlsConnect({ ...origination.options, host: target.address, port: target.port })
      : netConnect({ host: target.address, port: target.port });
  const secure = peerTls !== undefined || origination !== undefined;
  let settled = false;
  const settle = (): boolean => {
    if (settled) return false;
    settled = true;
    clearTimeout(timer);
    return true;
  };
  const failed = (flag: string, why: string): void => {
    cluster.breaker.closeConnection();
    report.close(flag, 0, 0);
    options.onFailed(flag, why);
  };
  const timer = setTimeout(() => {
    if (!settle()) return;
    upstream.destroy();
    if (host) cluster.record(host, { status: 503, connectFailure: true, perTryTimeout: false, reset: false });
    failed('UF', `connect to ${target.key} timed out after ${cluster.policy.connectionPool.connectTimeoutMs} ms`);
  }, cluster.policy.connectionPool.connectTimeoutMs);
  options.onDownstreamGone(() => {
    if (!settle()) return;
    upstream.destroy();
    cluster.breaker.closeConnection();
    report.close('DC', 0, 0);
  });
  upstream.once('error', (error: NodeJS.ErrnoException) => {
    if (!settle()) return;
    if (host) cluster.record(host, { status: 503, connectFailure: true, perTryTimeout: false, reset: false });
    failed('UF', `connection to ${target.key} failed: ${error.code ?? error.message}`);
  });
  upstream.once(secure ? 'secureConnect' : 'connect', () => {
    if (!settle()) return;
    upstream.setNoDelay(true);
    // The peer sidecar learns which workload this is before the first byte of the connection.
    if (peerTls && (upstream as TLSSocket).alpnProtocol === PEER_EXCHANGE_ALPN) upstream.write(encodePeerPreamble(options.source));
    const downstream = options.onConnected({ cluster: cluster.name, host: target.key, destination: report.event.destination, mtls: peerTls !== undefined });
    const tunnel = new Tunnel(downstream, { socket: upstream, pending: Buffer.alloc(0) }, options.idleTimeoutMs ?? TCP_IDLE_TIMEOUT_MS, (result) => {
      cluster.breaker.closeConnection();
      report.close(TUNNEL_FLAGS[result.ending], result.bytesUp, result.bytesDown);
      options.onClosed?.(result);
    });
    report.track(() => ({ received: tunnel.bytesUp, sent: tunnel.bytesDown }), options.reportingMs);
  });
}
