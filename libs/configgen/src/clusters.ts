// Outbound clusters: per service port a default cluster with every endpoint, plus one per
// DestinationRule subset holding the endpoints whose labels carry all of the subset's labels.
import { clusterName, compileTrafficPolicy, upstreamHttpVersion, type Cluster, type DestinationRule, type Endpoint, type Loaded, type Subset, type TrafficPolicy } from '@skiff/api';
import { mergeTrafficPolicy } from './destination-rules.js';
import { compareStrings } from './order.js';
import type { ServiceInfo } from './services.js';

function hasLabels(endpoint: Endpoint, wanted: Record<string, string> | undefined): boolean {
  if (!wanted) return true;
  const labels = endpoint.labels ?? {};
  return Object.entries(wanted).every(([key, value]) => labels[key] === value);
}

function cluster(service: ServiceInfo, port: number, subset: string | undefined, endpoints: Endpoint[], policy: TrafficPolicy | undefined): Cluster {
  const out: Cluster = { name: clusterName('outbound', port, subset, service.fqdn), service: service.fqdn, port, endpoints };
  if (subset !== undefined) out.subset = subset;
  if (service.external) out.serviceNamespace = service.namespace;
  if (service.external?.resolution === 'NONE') out.originalDestination = true;
  // The port's protocol says how the upstream is spoken to; a sniffed port leaves it to the client.
  const protocol = service.protocols.get(port) ?? 'UNKNOWN';
  const httpVersion = upstreamHttpVersion(protocol);
  if (httpVersion) out.protocol = httpVersion;
  // h2UpgradePolicy UPGRADE: HTTP/1.1 between sidecars is carried as HTTP/2 (one connection, many
  // streams); the server's sidecar speaks the port's protocol to its app. Istio's shouldH2Upgrade
  // (pilot/pkg/networking/core/cluster_builder.go) upgrades on the rule's say-so even on a sniffed
  // port, never a TCP one; and a host without a sidecar is spoken to as it is.
  if (policy?.connectionPool?.http?.h2UpgradePolicy === 'UPGRADE' && !service.external && (protocol === 'HTTP' || protocol === 'UNKNOWN')) out.protocol = 'HTTP/2';
  // Compiled here, once per push: the proxy gets typed settings it never has to reject.
  if (policy) out.policy = compileTrafficPolicy(policy);
  return out;
}

/** Subsets sorted by name; of duplicates (which validation reports) the first one written stands. */
function uniqueSubsetsByName(subsets: readonly Subset[] | undefined): Subset[] {
  const byName = new Map<string, Subset>();
  for (const subset of subsets ?? []) if (!byName.has(subset.name)) byName.set(subset.name, subset);
  return [...byName.values()].sort((a, b) => compareStrings(a.name, b.name));
}

/** A service's clusters: per port the default cluster, then its subsets by name. */
export function clustersForService(service: ServiceInfo, rule: Loaded<DestinationRule> | undefined): Cluster[] {
  const clusters: Cluster[] = [];
  for (const port of service.ports) {
    const endpoints = service.endpoints.get(port) ?? [];
    const top = mergeTrafficPolicy(rule?.spec.trafficPolicy, undefined, port);
    clusters.push(cluster(service, port, undefined, endpoints, top));
    for (const subset of uniqueSubsetsByName(rule?.spec.subsets)) {
      const policy = mergeTrafficPolicy(rule?.spec.trafficPolicy, subset.trafficPolicy, port);
      clusters.push(cluster(service, port, subset.name, endpoints.filter((e) => hasLabels(e, subset.labels)), policy));
    }
  }
  return clusters;
}
