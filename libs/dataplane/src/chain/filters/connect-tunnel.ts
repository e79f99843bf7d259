// CONNECT through the sidecar's outbound listener, so an app that uses it as its HTTPS_PROXY
// reaches HTTPS hosts: the sidecar opens a TCP connection to the host and port the app names,
// answers 200, and the connection becomes a byte tunnel (upgrade/tunnel.ts), the app's TLS inside
// it untouched. This is the outbound traffic policy's ALLOW_ANY (Istio's PassthroughCluster)
// for CONNECT. Envoy serves CONNECT only where it is configured to; elsewhere it answers 403.
import { connect, type Socket } from 'node:net';
import { badRequest, upstreamConnectFailure } from '../../core/errors.js';
import { Tunnel, TUNNEL_FLAGS } from '../../upgrade/tunnel.js';
import type { HttpExchange } from '../http-exchange.js';
import { TAKEN, type HttpFilter } from '../http-filter.js';

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

export function connectTunnelFilter(options: { connectTimeoutMs?: number } = {}): HttpFilter {
  return {
    name: 'connect',
    decodeHeaders(x) {
      if (x.head.method !== 'CONNECT') return undefined;
      const target = connectTarget(x.head.target);
      if (typeof target === 'string') return badRequest(target);
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
