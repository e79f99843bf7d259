// A listener's raw TCP connection (a gateway's TCP server port) handed to the TCP router: its
// bytes wait, paused, until the upstream is connected; a connection that cannot be routed is
// closed, as Envoy's tcp_proxy closes it.
import type { Socket } from 'node:net';
import { routeTcpConnection, type TcpRouteOptions } from './tcp-proxy.js';

/** Sockets the TCP router owns; the proxy's accept counter leaves them to the router's own report. */
const routedSockets = new WeakSet<Socket>();

export function isRoutedAsTcp(socket: Socket): boolean {
  return routedSockets.has(socket);
}

export function routeRawConnection(socket: Socket, options: Omit<TcpRouteOptions, 'onDownstreamGone' | 'onConnected' | 'onFailed'>): void {
  routedSockets.add(socket);
  socket.pause();
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
      return { socket, pending: Buffer.alloc(0) };
    },
    onFailed: () => {
      gone = undefined;
      socket.destroy();
    },
  });
}
