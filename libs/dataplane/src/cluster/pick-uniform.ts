// Uniform choice among the available hosts without building a list of them. Try one index at
// random; only if that host is unavailable, count the available ones and take the k-th. Each
// available host then has probability 1/n + (u/n)(1/a) = 1/a (n hosts, a available, u = n - a).
import type { Host } from './host.js';
import type { HostPredicate } from './load-balancer.js';

export function pickUniform(hosts: readonly Host[], isAvailable: HostPredicate, random: () => number): Host | undefined {
  const n = hosts.length;
  if (n === 0) return undefined;
  const first = hosts[Math.floor(random() * n)] as Host;
  if (isAvailable(first)) return first;
  let available = 0;
  for (let i = 0; i < n; i++) if (isAvailable(hosts[i] as Host)) available++;
  if (available === 0) return undefined;
  let k = Math.floor(random() * available);
  for (let i = 0; i < n; i++) {
    const host = hosts[i] as Host;
    if (isAvailable(host) && k-- === 0) return host;
  }
  return undefined; // unreachable unless isAvailable changed its mind mid-pick
}
