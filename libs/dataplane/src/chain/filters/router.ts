// The last filter: where the request goes (the route's weighted cluster, or the address the app
// asked for on passthrough), then the attempts (chain/upstream-request.ts). mTLS to peers with a
// sidecar (Istio's auto mTLS), with this workload's metadata in a header the peer trusts only
// over mTLS. A session-affinity cookie the load balancer asks for is set on the answer.
import { hashKeyFor, type Host } from '../../cluster/index.js';
import type { ClusterRuntime } from '../../core/cluster-runtime.js';
import { clusterNotFound, noHealthyUpstream } from '../../core/errors.js';
import { encodePeerMetadata, PEER_METADATA_HEADER } from '../../core/peer-metadata.js';
import type { RequestEvent } from '../../core/request-event.js';
import type { UpstreamPools } from '../../core/upstream-pools.js';
import type { WorkloadCertificate } from '../../security/identity.js';
import { peerTlsFor } from '../../security/peer-tls.js';
import type { HttpExchange } from '../http-exchange.js';
import { TAKEN, type HttpFilter } from '../http-filter.js';
import { DEFAULT_REPLAY_LIMIT } from '../request-body.js';
import { UpstreamRequest, type AttemptTarget } from '../upstream-request.js';

export interface RouterFilterOptions {
  pools: UpstreamPools;
  /** The workload certificate in force, when the proxy has an identity (mTLS to peers). */
  certificate?: () => WorkloadCertificate | undefined;
  /** This proxy's workload: the source of what it sends, told to peers over mTLS. */
  self?: RequestEvent['source'];
  random: () => number;
}

export function routerFilter(options: RouterFilterOptions): HttpFilter {
  const peerMetadata = options.self ? [PEER_METADATA_HEADER, encodePeerMetadata(options.self)] : undefined;
  return {
    name: 'router',
    decodeHeaders(x) {
      if (x.passthrough) {
        const { host, port } = x.requested;
        const pool = options.pools.get(host, port);
        new UpstreamRequest(x, { random: options.random, pick: () => ({ pool }) }).start();
        return TAKEN;
      }
      const name = x.weighted?.cluster ?? '';
      const cluster = x.snapshot?.clusters.get(name);
      x.upstreamCluster = name;
      if (!cluster) return clusterNotFound(name);
      // Retries need the body again: keep a copy while it streams (chain/request-body.ts).
      if ((x.action?.retries?.attempts ?? 0) > 0) x.body.retain(DEFAULT_REPLAY_LIMIT);
      const query = x.path.indexOf('?');
      const hashKey = hashKeyFor(cluster.policy.loadBalancer, { headers: x.received, sourceIp: x.stream.socket.remoteAddress, query: query < 0 ? undefined : x.path.slice(query + 1) }, options.random);
      if (hashKey?.setCookie) x.responseOps.push({ add: { 'set-cookie': hashKey.setCookie } });
      const pick = (tried: readonly Host[]) => {
        const host = cluster.pickHost(hashKey?.key, tried);
        if (!host) return noHealthyUpstream(cluster.name);
        return targetFor(x, cluster, host, options, peerMetadata);
      };
      new UpstreamRequest(x, { cluster, retries: x.action?.retries, timeoutMs: x.action?.timeoutMs, pick, random: options.random }).start();
      return TAKEN;
    },
  };
}

function targetFor(x: HttpExchange, cluster: ClusterRuntime, host: Host, options: RouterFilterOptions, peerMetadata: string[] | undefined): AttemptTarget {
  const peerTls = peerTlsFor(options.certificate?.(), cluster, host);
  x.upstreamHost = host.key;
  x.mtls = peerTls !== undefined;
  if (x.mtls && x.source.principal === undefined) {
    const principal = options.certificate?.()?.spiffeId;
    if (principal) x.source = { ...x.source, principal };
  }
  const endpoint = host.endpoint as typeof host.endpoint & { identity?: string };
  const [workload, namespace] = endpoint.workload.split('.');
  x.destination = {
    workload,
    namespace,
    service: cluster.cluster.service,
    app: endpoint.labels['app'],
    version: endpoint.labels['version'],
    ...(endpoint.identity ? { principal: endpoint.identity } : {}),
  };
  const pool = options.pools.get(host.address, host.port, cluster.poolOptions, peerTls);
  return peerTls && peerMetadata ? { pool, host, extraHeaders: peerMetadata } : { pool, host };
}
