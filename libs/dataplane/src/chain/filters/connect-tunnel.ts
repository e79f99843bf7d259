// CONNECT through the sidecar's outbound listener. To a mesh service's TCP port ("tcp-echo:9000")
// it is how an app in explicit-proxy mode opens a TCP connection into the mesh: the connection is
// routed by the service's tcp routes, with mutual TLS to the chosen endpoint's sidecar
// (tcp/tcp-proxy.ts). To any other host it is how an app that uses the sidecar as its
// HTTPS_PROXY reaches HTTPS hosts: the sidecar opens a TCP connection to the host and port the
// app names, the app's TLS inside it untouched (the outbound traffic policy's ALLOW_ANY, Istio's
// PassthroughCluster). Either way the answer is 200 and the connection becomes a byte tunnel
// (upgrade/tunnel.ts). Envoy serves CONNECT only where it is configured to; elsewhere it answers 403.
import { connect, type Socket } from 'node:net';
import { blackHole } from './black-hole.js';
import { badRequest, clusterNotFound, noHealthyUpstream, noRoute, overflow, upstreamConnectFailure, type LocalReply } from '../../core/errors.js';
import type { WorkloadCertificate } from '../../security/identity.js';
import type { TcpObserver } from '../../tcp/tcp-event.js';
import { routeRawConnection } from '../../tcp/raw-connection.js';
import { DEFAULT_PROTOCOL_DETECTION_TIMEOUT_MS, detectProtocol } from '../../inbound/protocol-detection.js';
import type { CompiledSnapshot } from '../../core/compiled-snapshot.js';
import type { CompiledTcpService } from '../../tcp/tcp-route-table.js';
import { routeTcpConnection, type TcpRouteOptions } from '../../tcp/tcp-proxy.js';
import { Tunnel, TUNNEL_FLAGS } from '../../upgrade/tunnel.js';
import type { HttpExchange } from '../http-exchange.js';
import { TAKEN, type HttpFilter } from '../http-filter.js';

type Target = { host: string; port: number };

/** "host:port" or "[v6]:port" (RFC 9112 §3.2.3, authority-form): the port is required. */
export function connectTarget(target: string): { host: string; port: number } | string {
  const colon = target.lastIndexOf(':');
  if (colon <= 0) return `CONNECT target ${JSON.stringify(target.slice(0, 64))} has no port`;
  const port = Number(target.slice(colon + 1));
  if (!/^[0-9]{1,5}$/.test(target.slice(colon + 1)) || port < 1 || port > 65535) return `CONNECT target ${JSON.stringify(target.slice(0, 64))} has no valid port`;
  let host = target.slice(0, colon);
  if (host.startsWith('[')) {
    if (!host.endsWith(']')) return `CONNECT target ${JSON.stringify(target.slice(0, 64))} has a broken IPv6 address`;
    host = host.slice(1, -1);
  }
  if (host.length === 0 || /[\s/@]/.test(host)) return `CONNECT target ${JSON.stringify(target.slice(0, 64))} is not a host`;
  return { host, port };
}

export interface ConnectTunnelOptions {
  connectTimeoutMs?: number;
  /** Mesh TCP services: who this workload is, for routes' sourceLabels and mTLS. */
  sourceLabels?: Readonly<Record<string, string>>;
  sourceNamespace?: string;
  certificate?: () => WorkloadCertificate | undefined;
  tcpObserver?: TcpObserver;
  random?: () => number;
  /**
   * Serves a tunnel's bytes as HTTP on this listener: a CONNECT to a mesh HTTP service (what
   * grpc-js sends in its grpc_proxy mode) is answered 200 and what comes through the tunnel is
   * routed request by request, as if the app had addressed the listener directly.
   */
  acceptHttp?: (socket: Socket) => void;
}

export function connectTunnelFilter(options: ConnectTunnelOptions = {}): HttpFilter {
  return {
    name: 'connect',
    decodeHeaders(x) {
      if (x.head.method !== 'CONNECT') return undefined;
      const target = connectTarget(x.head.target);
      if (typeof target === 'string') return badRequest(target);
      const service = x.snapshot?.tcp.forAuthority(x.head.target);
      const httpService = options.acceptHttp ? x.snapshot?.routeConfigs.get(String(target.port))?.domains.lookup(x.head.target.toLowerCase()) : undefined;
      if (x.snapshot && httpService && options.acceptHttp) {
        terminate(x, x.snapshot, target, options, options.acceptHttp, service);
        return TAKEN;
      }
      if (service && x.snapshot) {
        tunnelToService(x, x.snapshot, service, target, options);
        return TAKEN;
      }
      // REGISTRY_ONLY: a host no workload or ServiceEntry provides goes nowhere (Istio's BlackHoleCluster).
      if (x.snapshot?.raw.outboundTrafficPolicy === 'REGISTRY_ONLY') return blackHole(x);
      x.upstreamCluster = 'PassthroughCluster';
      x.upstreamHost = `${target.host}:${target.port}`;
      open(x, target.host, target.port, options.connectTimeoutMs ?? 10_000);
      return TAKEN;
    },
  };
}

function open(x: HttpExchange, host: string, port: number, connectTimeoutMs: number): void {
  const sentAt = performance.now();
  const upstream: Socket = connect({ host, port });
  const timer = setTimeout(() => upstream.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), connectTimeoutMs);
  // The client may leave while the connection is being made.
  x.stream.onReset = () => {
    clearTimeout(timer);
    upstream.destroy();
    x.flag = 'DC';
    x.complete();
  };
  upstream.once('error', (error: Error & { code?: string }) => {
    clearTimeout(timer);
    if (x.completed || x.stream.responseStarted) return;
    x.stream.onReset = undefined;
    x.answer(upstreamConnectFailure(`connection failure: ${error.code ?? error.message}`));
  });
  upstream.once('connect', () => {
    clearTimeout(timer);
    if (x.completed) return void upstream.destroy();
    upstream.setNoDelay(true);
    x.upstreamServiceTimeMs = performance.now() - sentAt;
    x.stream.onReset = undefined;
    x.respond(200, [], false);
    const downstream = x.stream.takeOver();
    new Tunnel(downstream, { socket: upstream, pending: Buffer.alloc(0) }, downstream.idleTimeoutMs, (result) => {
      x.stream.bytesReceived += result.bytesUp;
      x.stream.bytesSent += result.bytesDown;
      x.flag = TUNNEL_FLAGS[result.ending];
      x.complete();
    });
  });
}

/**
 * CONNECT termination (Envoy's term for it): the tunnel to a mesh HTTP service is answered here,
 * and its bytes are served as HTTP by this listener. A port whose protocol is not declared is
 * also a TCP service: its first bytes decide (HTTP, or else TCP routed by its tcp routes).
 */
function terminate(x: HttpExchange, snapshot: CompiledSnapshot, target: Target, options: ConnectTunnelOptions, acceptHttp: (socket: Socket) => void, orTcp: CompiledTcpService | undefined): void {
  x.upstreamCluster = 'InboundPassthrough';
  x.respond(200, [], false);
  const downstream = x.stream.takeOver();
  const socket = downstream.socket;
  socket.once('close', () => x.complete());
  if (downstream.pending.length > 0) socket.unshift(downstream.pending);
  const asHttp = () => acceptHttp(socket);
  if (!orTcp) return asHttp();
  detectProtocol(socket, DEFAULT_PROTOCOL_DETECTION_TIMEOUT_MS, (protocol) => {
    if (protocol === 'http') return asHttp();
    routeRawConnection(socket, tcpRouteOptions(x, snapshot, orTcp, target, options));
  });
}

const FAILURE_REPLIES: Record<string, (why: string) => LocalReply> = {
  NR: (why) => ({ ...noRoute(''), body: `${why}\n` }),
  NC: (why) => ({ ...clusterNotFound(''), body: `${why}\n` }),
  UH: (why) => ({ ...noHealthyUpstream(''), body: `${why}\n` }),
  UO: () => overflow(),
  UF: (why) => upstreamConnectFailure(why),
};

function tcpRouteOptions(x: HttpExchange, snapshot: CompiledSnapshot, service: CompiledTcpService, target: Target, options: ConnectTunnelOptions): Omit<TcpRouteOptions, 'onDownstreamGone' | 'onConnected' | 'onFailed'> {
  return {
    snapshot,
    service,
    facts: { port: target.port, sourceLabels: options.sourceLabels ?? {}, sourceNamespace: options.sourceNamespace ?? x.source.namespace, ...(/^[0-9.]+$|:/.test(target.host) ? { destinationIp: target.host } : {}) },
    random: options.random ?? Math.random,
    ...(options.certificate ? { certificate: options.certificate } : {}),
    source: x.source,
    ...(options.tcpObserver ? { observer: options.tcpObserver } : {}),
    authority: x.head.target,
    originalDestination: target,
  };
}

function tunnelToService(x: HttpExchange, snapshot: CompiledSnapshot, service: CompiledTcpService, target: Target, options: ConnectTunnelOptions): void {
  const common = tcpRouteOptions(x, snapshot, service, target, options);
  if (service.service.sni) {
    // tls routes need the ClientHello, which the app sends only once the tunnel is open: answer
    // first, then route what comes through it as a gateway routes a TCP connection.
    x.upstreamCluster = service.service.name;
    x.respond(200, [], false);
    const downstream = x.stream.takeOver();
    downstream.socket.once('close', () => x.complete());
    routeRawConnection(downstream.socket, common, downstream.pending);
    return;
  }
  routeTcpConnection({
    ...common,
    onDownstreamGone(abort) {
      x.stream.onReset = () => {
        abort();
        x.flag = 'DC';
        x.complete();
      };
    },
    onConnected(connection) {
      x.stream.onReset = undefined;
      x.upstreamCluster = connection.cluster;
      x.upstreamHost = connection.host;
      x.destination = connection.destination;
      x.mtls = connection.mtls;
      x.respond(200, [], false);
      return x.stream.takeOver();
    },
    onFailed(flag, why) {
      x.stream.onReset = undefined;
      if (x.completed) return;
      x.answer((FAILURE_REPLIES[flag] ?? upstreamConnectFailure)(why));
    },
    onClosed(result) {
      x.stream.bytesReceived += result.bytesUp;
      x.stream.bytesSent += result.bytesDown;
      x.flag = TUNNEL_FLAGS[result.ending];
      x.complete();
    },
  });
}
