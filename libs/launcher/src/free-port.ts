import { appendFileSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimPidFile } from './pid-file.js';

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

// One allocator for everything this process starts: a port handed out once is never handed out
// again, so a listener drawn after a mesh's ports (a test's extra HTTPS port, a stand-in) cannot
// draw one the mesh has not bound yet. (It once drew the control plane's discovery port.)
const handedOut = new Set<number>();

// And one across processes: test files run side by side, each starting meshes whose ports are
// drawn seconds before their processes bind them. Two files drawing ~40 ports each from the
// same range clashed often enough to fail a CI run (a readiness probe answered by another test's
// proxy; EADDRINUSE). Each port handed out is reserved by a file named after it, holding the pid;
// a reservation whose process is gone is taken over.
const RESERVATIONS = process.env['SKIFF_PORT_RESERVATIONS'] ?? join(tmpdir(), 'skiff-port-reservations');
const reservedHere: string[] = [];

/** Claims `port` for this process unless a live process holds it; false when taken. */
export function reservePort(port: number, dir = RESERVATIONS): boolean {
  try {
    mkdirSync(dir);
  } catch {
    // there already, or cannot be made: the claim below says which
  }
  const file = join(dir, String(port));
  const claim = claimPidFile(file, false);
  if (claim.kind === 'unusable') return true; // no shared directory: this process's own set still holds
  if (claim.kind === 'held') return false;
  if (reservedHere.length === 0) process.once('exit', releaseReservations);
  reservedHere.push(file);
  return true;
}

function releaseReservations(): void {
  for (const file of reservedHere.splice(0)) {
    try {
      unlinkSync(file);
    } catch {
      // already gone
    }
  }
}

function bindable(port: number): Promise<Server | undefined> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/**
 * `count` distinct free ports, none handed out before in this process; with `adjacent`, each is
 * the first of two free ports in a row (the sample apps serve their demo controls on port + 1).
 * All are held open together while searching, so none is handed out twice.
 */
export async function freePorts(count: number, options: { adjacent?: boolean } = {}): Promise<number[]> {
  const ceiling = ephemeralRangeStart();
  const servers: Server[] = [];
  const span = options.adjacent ? 2 : 1;
  try {
    const ports: number[] = [];
    let attempts = 0;
    while (ports.length < count) {
      // Random candidates below the ephemeral range; where the range is unknown, let the OS pick.
      const candidate = ceiling === undefined ? 0 : PICK_FLOOR + Math.floor(Math.random() * (ceiling - PICK_FLOOR - span));
      if (candidate !== 0 && Array.from({ length: span }, (_, i) => candidate + i).some((p) => handedOut.has(p))) continue;
      if (++attempts > count * 50) throw new Error(`freePorts: found only ${ports.length} of ${count} free ports on 127.0.0.1 after ${attempts - 1} tries`);
      const first = await bindable(candidate);
      if (!first) continue;
      servers.push(first);
      const address = first.address();
      if (address === null || typeof address === 'string') throw new Error('freePorts: the server has no TCP address');
      if (handedOut.has(address.port)) continue; // the OS picked one we handed out (range unknown)
      if (span === 2) {
        const second = handedOut.has(address.port + 1) ? undefined : await bindable(address.port + 1);
        if (!second) continue;
        servers.push(second);
        if (!reservePort(address.port + 1)) continue;
        handedOut.add(address.port + 1);
      }
      if (!reservePort(address.port)) continue;
      handedOut.add(address.port);
      ports.push(address.port);
    }
    // `npm run test:repeat` names the ports each run drew, so a port clash can be told from a bug.
    const log = process.env['SKIFF_PORTS_LOG'];
    if (log) appendFileSync(log, `${ports.join(' ')}\n`);
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}
