// Process life for a sample app: listen, announce the port on stdout in the one line the
// launcher expects, and stop cleanly. Signals and the parent's IPC channel are handled by the
// launcher's childLifecycle: SIGTERM/SIGINT drain and close, a vanished parent means exit now.
// (The same file lives in frontend, reviews and ratings: apps may not import each other.)
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { childLifecycle } from '@skiff/launcher';
import type { Logger } from '@skiff/telemetry';

export interface ServeOptions {
  host: string;
  port: number;
  logger: Logger;
  /** Runs after the server has closed, before the process exits (e.g. close the HTTP client pool). */
  onClose?: () => Promise<void>;
  /** Runs when stopping starts, before the server closes (e.g. close upgraded connections, which it does not track). */
  onClosing?: () => void;
}

// Longer than any sensible client idle timeout, so a sidecar never reuses a connection that we
// are closing at the same moment (that race shows up as sporadic resets under load).
const KEEP_ALIVE_MS = 65_000;
// In-flight requests get this long to finish after a stop signal; then connections are cut.
const DRAIN_MS = 2_000;

export function serve(app: RequestListener, { host, port, logger, onClose, onClosing }: ServeOptions): Server {
  const server = createServer(app);
  server.keepAliveTimeout = KEEP_ALIVE_MS;

  server.on('error', (err: NodeJS.ErrnoException) => {
    const hint = err.code === 'EADDRINUSE' ? `; port ${port} on ${host} is taken, set PORT to a free port (0 picks one)` : '';
    logger.fatal({ err, host, port }, `cannot listen on ${host}:${port}${hint}`);
    process.exit(1);
  });

  server.listen(port, host, () => {
    const bound = (server.address() as AddressInfo).port;
    // Exactly this line: the launcher reads the port from it. Written directly, not via pino,
    // so that it has no other fields.
    process.stdout.write(`${JSON.stringify({ msg: 'listening', port: bound })}\n`);
  });

  childLifecycle({
    log: (line) => logger.warn(line),
    close: async () => {
      logger.info('stopping');
      onClosing?.();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A kept-alive connection turns idle when its last response is done: close it then,
        // rather than waiting for the drain deadline.
        server.closeIdleConnections();
        setInterval(() => server.closeIdleConnections(), 50).unref();
        setTimeout(() => server.closeAllConnections(), DRAIN_MS).unref();
      });
      await onClose?.();
    },
  });
  return server;
}
