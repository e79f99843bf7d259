import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { DownstreamGuard } from '../downstream/downstream-guard.js';

/**
 * Starts an HTTP/1.1 server and resolves once it is bound; rejects with a message naming the port.
 * Data listeners pass their guard (connection cap, timeouts, overload); the admin port has none.
 */
export function listen(name: string, host: string, port: number, handler: (req: IncomingMessage, res: ServerResponse) => void, guard?: DownstreamGuard): Promise<Server> {
  const server = guard ? createServer(guard.httpServerOptions(), guard.wrap(handler)) : createServer({ keepAlive: true }, handler);
  if (guard) {
    guard.configure(server);
    server.on('connection', (socket) => guard.admit(socket));
  } else {
    // Longer than the clients' idle timeouts, so the client side closes idle connections first.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
  }
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(new Error(`${name} listener cannot bind ${host}:${port}: ${error.code ?? error.message}${error.code === 'EADDRINUSE' ? ' (port in use: stop the other process or pick another port)' : ''}`));
    });
    server.listen(port, host, () => resolve(server));
  });
}

export function boundPort(server: Server | import('node:net').Server): number {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

export function closeServer(server: Server | import('node:net').Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    if ('closeIdleConnections' in server) server.closeIdleConnections();
  });
}
