// A listener's raw TCP connection (a gateway's TCP server port) handed to the TCP router: its
// bytes wait, paused, until the upstream is connected; a connection that cannot be routed is
// closed, as Envoy's tcp_proxy closes it.
import type { Socket } from 'node:net';
import { peekClientHello } from './client-hello-peek.js';
import { routeTcpConnection, type TcpRouteOptions } from './tcp-proxy.js';

/** Sockets the TCP router owns; the proxy's accept counter leaves them to the router's own report. */
const routedSockets = new WeakSet<Socket>();

export function isRoutedAsTcp(socket: Socket): boolean {
  return routedSockets.has(socket);
}

type RawRouteOptions = Omit<TcpRouteOptions, 'onDownstreamGone' | 'onConnected' | 'onFailed'>;

/**
 * Routes a connection whose first bytes are the client's (a gateway TCP port, or the tunnel after
 * a CONNECT was answered). A service with tls routes reads the ClientHello's server name first;
 * `pending` is what was already read off the socket and goes upstream first.
 */
export function routeRawConnection(socket: Socket, options: RawRouteOptions, pending: Buffer = Buffer.alloc(0)): void {
  routedSockets.add(socket);
  socket.pause();
  if (options.service.service.sni) {
    if (pending.length > 0) socket.unshift(pending);
    peekClientHello(socket, {}, (result) => {
      if (result.kind !== 'hello') {
        options.logger?.debug({ why: result.kind === 'failed' ? result.why : result.kind }, 'TLS connection closed: the server name could not be read');
        return void socket.destroy();
      }
      route(socket, { ...options, facts: { ...options.facts, ...(result.serverName === undefined ? {} : { sni: result.serverName }) } }, result.buffered);
    });
    return;
  }
  route(socket, options, pending);
}

function route(socket: Socket, options: RawRouteOptions, pending: Buffer): void {
  let gone: (() => void) | undefined;
  const onClose = () => gone?.();
  socket.once('close', onClose);
  routeTcpConnection({
    ...options,
    onDownstreamGone: (abort) => (gone = abort),
    onConnected: () => {
      gone = undefined;
      socket.off('close', onClose);
      socket.setNoDelay(true);
      return { socket, pending };
    },
    onFailed: () => {
      gone = undefined;
      socket.destroy();
    },
  });
}
