// The sample apps' demo controls (reviews' failure and latency knobs, the request counters) on a
// port of their own, bound to 127.0.0.1 whatever HOST the app serves on: they change the app's
// behaviour, so they are for the person running the demo and the tests on this machine, never
// for traffic. The mesh's inbound listener forwards to the app port only, so no caller through
// the mesh reaches them (they once answered through the sidecar's inbound port, in plaintext).
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** ADMIN_PORT: "off" for none, a port (0 picks one); default: the app's port + 1 (or 0 with PORT=0). */
export function readAdminPort(env: Readonly<Record<string, string | undefined>>, appPort: number): number | undefined {
  const raw = env['ADMIN_PORT'];
  if (raw === 'off') return undefined;
  if (raw === undefined || raw === '') return appPort === 0 ? 0 : appPort + 1;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) throw new Error(`ADMIN_PORT must be a TCP port number 0-65535 (0 picks a free one) or "off", got "${raw}"`);
  return port;
}

/** Listens on 127.0.0.1:port; `onListening` gets the port bound (for a log line). */
export function listenAdmin(handler: RequestListener, port: number, events: { onError: (error: NodeJS.ErrnoException) => void; onListening: (port: number) => void }): Server {
  const server = createServer(handler);
  server.on('error', events.onError);
  server.listen(port, '127.0.0.1', () => events.onListening((server.address() as AddressInfo).port));
  return server;
}
