import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

/** A port on 127.0.0.1 that was free a moment ago. For tests. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  if (port === undefined) throw new Error('freePort: no free port found');
  return port;
}

// Ports from bind(0) come out of the OS's ephemeral range, the same range every outgoing
// connection takes its local port from. A test that picks a port, closes it, and hands it to a
// child process can then lose it to some unrelated connect() in between (seen in CI as
// EADDRINUSE). Ports below that range are never handed out implicitly, so we pick from there.
const PICK_FLOOR = 20100; // above the fixed ports `skiff up` uses (8080, 9080+, 15000+, 20001)

/** The first port of the OS's ephemeral range, or undefined where it cannot be read. */
export function ephemeralRangeStart(readRange: () => string = () => readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')): number | undefined {
  try {
    const low = Number(readRange().trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > PICK_FLOOR + 1000 ? low : undefined;
  } catch {
    return undefined;
  }
}

/** `count` distinct free ports: all are held open together, so none is handed out twice. */
export async function freePorts(count: number): Promise<number[]> {
  const ceiling = ephemeralRangeStart();
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    let attempts = 0;
    while (ports.length < count) {
      // Random candidates below the ephemeral range; where the range is unknown, let the OS pick.
      const candidate = ceiling === undefined ? 0 : PICK_FLOOR + Math.floor(Math.random() * (ceiling - PICK_FLOOR));
      if (candidate !== 0 && ports.includes(candidate)) continue;
      if (++attempts > count * 50) throw new Error(`freePorts: found only ${ports.length} of ${count} free ports on 127.0.0.1 after ${attempts - 1} tries`);
      const server = createServer();
      const bound = await new Promise<boolean>((resolve) => {
        server.once('error', () => resolve(false));
        server.listen(candidate, '127.0.0.1', () => resolve(true));
      });
      if (!bound) continue;
      servers.push(server);
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('freePorts: the server has no TCP address');
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}
