import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Server as NetServer } from 'node:net';
import type { HttpConnectionManager } from '../chain/connection-manager.js';
import type { DownstreamGuard } from '../downstream/downstream-guard.js';

/** Starts the admin port's HTTP server and resolves once it is bound; rejects with a message naming the port. */
export function listen(name: string, host: string, port: number, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const server = createServer({ keepAlive: true }, handler);
  // Longer than the clients' idle timeouts, so the client side closes idle connections first.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return bind(name, server, host, port);
}

/**
 * Binds a data listener served by a connection manager: closing it closes the manager's idle
 * connections (busy ones finish), and the guard's timers go with it.
 */
export function bindListener(name: string, server: NetServer, host: string, port: number, manager: HttpConnectionManager, guard: DownstreamGuard): Promise<NetServer> {
  Object.assign(server, { closeIdleConnections: () => manager.closeIdleConnections() });
  server.on('close', () => guard.close());
  return bind(name, server, host, port);
}

function bind<S extends NetServer>(name: string, server: S, host: string, port: number): Promise<S> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(new Error(`${name} listener cannot bind ${host}:${port}: ${error.code ?? error.message}${error.code === 'EADDRINUSE' ? ' (port in use: stop the other process or pick another port)' : ''}`));
    });
    server.listen(port, host, () => resolve(server));
  });
}

export function boundPort(server: Server | NetServer): number {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

export function closeServer(server: Server | NetServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    if ('closeIdleConnections' in server && typeof server.closeIdleConnections === 'function') server.closeIdleConnections();
  });
}
