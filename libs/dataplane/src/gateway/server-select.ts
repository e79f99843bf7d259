// Which Gateway server a connection or request belongs to, by name: the TLS server name (SNI)
// for a TLS port, the Host header for httpsRedirect on a plaintext port. Envoy's filter chain
// match order: an exact name, then the longest wildcard suffix ("*.b.example.com" before
// "*.example.com"), then a catch-all ("*").
import type { GatewayServerSnapshot } from '@skiff/api';

/** "ns/host" or "./host" in a Gateway server's hosts -> "host". */
function hostPart(serverHost: string): string {
  const slash = serverHost.indexOf('/');
  return (slash >= 0 ? serverHost.slice(slash + 1) : serverHost).toLowerCase();
}

/** How specifically `pattern` matches `name`: higher is more specific, -1 is no match. */
export function hostMatchRank(pattern: string, name: string): number {
  const host = hostPart(pattern);
  if (host === '*') return 0;
  if (host.startsWith('*.')) return name.endsWith(host.slice(1)) && name.length > host.length - 1 ? host.length : -1;
  // An exact name outranks any wildcard, which is at most as long as the name it matches.
  return host === name ? 100_000 : -1;
}

/** The server whose hosts match `name` most specifically, or undefined when none does. */
export function matchServer<S extends Pick<GatewayServerSnapshot, 'hosts'>>(servers: readonly S[], name: string | undefined): S | undefined {
  if (name === undefined || name === '') return servers.find((s) => s.hosts.some((h) => hostPart(h) === '*'));
  const lower = name.toLowerCase();
  let best: S | undefined;
  let bestRank = -1;
  for (const server of servers) {
    for (const host of server.hosts) {
      const rank = hostMatchRank(host, lower);
      if (rank > bestRank) {
        best = server;
        bestRank = rank;
      }
    }
  }
  return best;
}

/** For a TLS connection: the matching server, else the first (a client without SNI still gets a certificate). */
export function selectTlsServer<S extends Pick<GatewayServerSnapshot, 'hosts'>>(servers: readonly S[], serverName: string | undefined): S | undefined {
  return matchServer(servers, serverName) ?? servers[0];
}
