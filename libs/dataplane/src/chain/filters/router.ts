// The last filter: where the request goes (the route's weighted cluster, or the address the app
// asked for on passthrough), then the attempts (chain/upstream-request.ts). mTLS to peers with a
// sidecar (Istio's auto mTLS), with this workload's metadata in a header the peer trusts only
// over mTLS. A session-affinity cookie the load balancer asks for is set on the answer.
import { hashKeyFor, type Host } from '../../cluster/index.js';
import type { ClusterRuntime } from '../../core/cluster-runtime.js';
import { clusterNotFound, noHealthyUpstream, upstreamConnectFailure } from '../../core/errors.js';
import { encodePeerMetadata, PEER_METADATA_HEADER } from '../../core/peer-metadata.js';
import { destinationService, type RequestEvent } from '../../core/request-event.js';
import type { PeerTls, UpstreamPools } from '../../core/upstream-pools.js';
import type { OriginatedTls } from '../../security/origination-tls.js';
import type { WorkloadCertificate } from '../../security/identity.js';
import { peerTlsFor } from '../../security/peer-tls.js';
import type { HttpExchange } from '../http-exchange.js';
import type { UpstreamProtocol } from '../upstream-connection.js';
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
  // Pool, peer TLS and destination labels per host, built on first use: a chain lives for one
  // push, and its hosts' clusters with it.
  // Upstreams speak what the client spoke (Envoy's USE_DOWNSTREAM_PROTOCOL): one cache each.
  const targets = { 'HTTP/1.1': new WeakMap<Host, HostTarget>(), 'HTTP/2': new WeakMap<Host, HostTarget>() };
  return {
    name: 'router',
    decodeHeaders(x) {
      if (x.passthrough) {
        const { host, port } = x.requested;
        const pool = options.pools.get(host, port, undefined, undefined, x.stream.protocol);
        new UpstreamRequest(x, { random: options.random, pick: () => ({ pool }) }).start();
        return TAKEN;
      }
      const name = x.weighted?.cluster ?? '';
      const cluster = x.snapshot?.clusters.get(name);
      x.upstreamCluster = name;
      if (!cluster) return clusterNotFound(name);
      // Retries need the body again: keep a copy while it streams (chain/request-body.ts).
      if ((x.action?.retries?.attempts ?? 0) > 0) x.body.retain(DEFAULT_REPLAY_LIMIT);
      if (cluster.cluster.originalDestination) return toOriginalDestination(x, cluster, options);
      // TLS the sidecar originates (DestinationRule tls SIMPLE/MUTUAL to a host without a sidecar).
      const origination = cluster.originationFor(cluster.cluster.service);
      if (origination && 'error' in origination) return upstreamConnectFailure(origination.error);
      const query = x.path.indexOf('?');
      const hashKey = hashKeyFor(cluster.policy.loadBalancer, { headers: x.received, sourceIp: x.stream.socket.remoteAddress, query: query < 0 ? undefined : x.path.slice(query + 1) }, options.random);
      if (hashKey?.setCookie) x.responseOps.push({ add: { 'set-cookie': hashKey.setCookie } });
      const pick = (tried: readonly Host[]) => {
        const host = cluster.pickHost(hashKey?.key, tried);
        if (!host) return noHealthyUpstream(cluster.name);
        return targetFor(x, cluster, host, options, peerMetadata, targets[cluster.cluster.protocol ?? x.stream.protocol], origination);
      };
      new UpstreamRequest(x, { cluster, retries: x.action?.retries, timeoutMs: x.action?.timeoutMs, pick, random: options.random }).start();
      return TAKEN;
    },
  };
}

/** What every attempt to one host shares until the next push, rotation or pool retirement. */
interface HostTarget extends AttemptTarget {
  /** The certificate generation it was built for (-1: no identity). */
  generation: number;
  mtls: boolean;
  destination: RequestEvent['destination'];
}

/**
 * A ServiceEntry with resolution NONE (Envoy's ORIGINAL_DST cluster): no endpoints of its own,
 * the request goes to the host and port the app named, with the cluster's policy.
 */
function toOriginalDestination(x: HttpExchange, cluster: ClusterRuntime, options: RouterFilterOptions): typeof TAKEN | ReturnType<typeof upstreamConnectFailure> {
  const { host, port } = x.requested;
  const origination = cluster.originationFor(host);
  if (origination && 'error' in origination) return upstreamConnectFailure(origination.error);
  const pool = options.pools.get(host, port, cluster.poolOptions, origination, cluster.cluster.protocol ?? x.stream.protocol);
  x.upstreamHost = `${host}:${port}`;
  x.destination = destinationService(cluster.cluster);
  new UpstreamRequest(x, { cluster, retries: x.action?.retries, timeoutMs: x.action?.timeoutMs, pick: () => ({ pool }), random: options.random }).start();
  return TAKEN;
}

function hostTarget(cluster: ClusterRuntime, host: Host, certificate: WorkloadCertificate | undefined, pools: UpstreamPools, peerMetadata: string[] | undefined, protocol: UpstreamProtocol, origination: OriginatedTls | undefined): HostTarget {
  const peerTls: PeerTls | undefined = peerTlsFor(certificate, cluster, host);
  const endpoint = host.endpoint as typeof host.endpoint & { identity?: string };
  const [workload, namespace] = endpoint.workload.split('.');
  const destination: RequestEvent['destination'] = Object.freeze({
    workload,
    namespace,
    ...destinationService(cluster.cluster),
    app: endpoint.labels['app'],
    version: endpoint.labels['version'],
    ...(endpoint.identity ? { principal: endpoint.identity } : {}),
  });
  const pool = pools.get(host.address, host.port, cluster.poolOptions, peerTls ?? origination, protocol);
  return { pool, host, generation: certificate?.generation ?? -1, mtls: peerTls !== undefined, destination, ...(peerTls && peerMetadata ? { extraHeaders: peerMetadata } : {}) };
}

function targetFor(x: HttpExchange, cluster: ClusterRuntime, host: Host, options: RouterFilterOptions, peerMetadata: string[] | undefined, cache: WeakMap<Host, HostTarget>, origination: OriginatedTls | undefined): AttemptTarget {
  const certificate = options.certificate?.();
  let target = cache.get(host);
  if (!target || target.generation !== (certificate?.generation ?? -1) || target.pool.retired) {
    target = hostTarget(cluster, host, certificate, options.pools, peerMetadata, cluster.cluster.protocol ?? x.stream.protocol, origination);
    cache.set(host, target);
  }
  x.upstreamHost = host.key;
  x.mtls = target.mtls;
  if (x.mtls && x.source.principal === undefined && certificate?.spiffeId) x.source = { ...x.source, principal: certificate.spiffeId };
  x.destination = target.destination;
  return target;
}
