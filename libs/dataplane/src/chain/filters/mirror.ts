// Istio's mirror (Envoy's request shadowing): a copy of the request to another cluster, its
// answer dropped. The body is copied while it streams (up to the replay bound) and the shadow is
// sent once it is complete; a body past the bound is not mirrored. Envoy marks the copy's host
// with "-shadow".
import type { ClusterRuntime } from '../../core/cluster-runtime.js';
import { listOf } from '../../http1/field-list.js';
import { shadowAuthority } from '@skiff/routing';
import type { UpstreamPools } from '../../core/upstream-pools.js';
import type { WorkloadCertificate } from '../../security/identity.js';
import { peerTlsFor } from '../../security/peer-tls.js';
import type { HttpFilter } from '../http-filter.js';
import type { UpstreamProtocol } from '../upstream-connection.js';
import { DEFAULT_REPLAY_LIMIT } from '../request-body.js';

const SHADOW_TIMEOUT_MS = 30_000;

export function mirrorFilter(pools: UpstreamPools, certificate: (() => WorkloadCertificate | undefined) | undefined, random: () => number): HttpFilter {
  return {
    name: 'mirror',
    decodeHeaders(x) {
      const mirror = x.action?.mirror;
      // An upgrade is not shadowed: a copy would open a second live session with the app.
      if (x.upgrade !== undefined) return undefined;
      if (!mirror || !(mirror.percent >= 100 || random() * 100 < mirror.percent)) return undefined;
      const cluster = x.snapshot?.clusters.get(mirror.cluster);
      if (!cluster) return undefined;
      x.body.retain(DEFAULT_REPLAY_LIMIT);
      const headers = { ...x.headers, host: shadowAuthority(String(x.headers['host'] ?? '')) };
      const method = x.head.method;
      const path = x.path;
      const protocol = x.stream.protocol;
      x.body.whenComplete((copy) => {
        if (copy) shadow(pools, certificate, cluster, method, path, listOf(headers), copy, cluster.cluster.protocol ?? protocol);
      });
      return undefined;
    },
  };
}

function shadow(pools: UpstreamPools, certificate: (() => WorkloadCertificate | undefined) | undefined, cluster: ClusterRuntime, method: string, path: string, headers: string[], body: Buffer[], protocol: UpstreamProtocol): void {
  const host = cluster.pickHost(undefined, []);
  if (!host) return;
  const pool = pools.get(host.address, host.port, cluster.poolOptions, peerTlsFor(certificate?.(), cluster, host), protocol);
  const abort = AbortSignal.timeout(SHADOW_TIMEOUT_MS);
  pool.acquire(abort).then(
    (connection) => {
      const timer = setTimeout(() => connection.destroy(), SHADOW_TIMEOUT_MS);
      const length = body.reduce((n, b) => n + b.length, 0);
      const done = () => clearTimeout(timer);
      connection.send({ method, path, headers }, length > 0 ? { kind: 'length', length } : { kind: 'none' }, { head: () => undefined, data: () => undefined, end: done, error: done });
      for (const chunk of body) connection.write(chunk);
      if (length > 0) connection.end();
    },
    () => undefined,
  );
}
