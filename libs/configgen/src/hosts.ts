// Host names as Istio reads them: short names are relative to the namespace of the resource
// that wrote them, wildcards ("*", "*.example.com") match by suffix, and a Gateway server host
// may carry a namespace ("ns/host", "*/host", "./host").
import { CLUSTER_DOMAIN } from '@skiff/api';

/**
 * Resolves a host written in a resource in `namespace` to the form services are keyed by.
 * "reviews" -> "reviews.<namespace>.svc.cluster.local"; "reviews.prod" (prod being a namespace
 * with services) -> "reviews.prod.svc.cluster.local"; "reviews.prod.svc" likewise; anything else
 * (FQDNs, external names, wildcards) is kept as written, lower-cased.
 */
export function resolveHost(host: string, namespace: string, knownNamespaces: ReadonlySet<string>): string {
  const h = host.toLowerCase();
  if (h.includes('*')) return h;
  const labels = h.split('.');
  if (labels.length === 1) return `${h}.${namespace}.${CLUSTER_DOMAIN}`;
  if (labels.length === 2 && knownNamespaces.has(labels[1] as string)) return `${h}.${CLUSTER_DOMAIN}`;
  if (labels.length === 3 && labels[2] === 'svc') return `${h}.cluster.local`;
  return h;
}

/** Does `pattern` ("*", "*.suffix" or an exact host) cover `host` (which may itself be a wildcard)? */
export function hostCovers(pattern: string, host: string): boolean {
  if (pattern === '*' || pattern === host) return true;
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
  return false;
}

/** The more specific of two hosts when one covers the other (e.g. "*" and "a.com" -> "a.com"), else undefined. */
export function intersectHosts(a: string, b: string): string | undefined {
  if (hostCovers(a, b)) return b;
  if (hostCovers(b, a)) return a;
  return undefined;
}

export interface ServerHost {
  /** "*" for any namespace, otherwise the one namespace whose VirtualServices may bind. */
  namespace: string;
  host: string;
}

/** Parses a Gateway server host: "host" = "*\/host", "./host" = the Gateway's own namespace. */
export function parseServerHost(raw: string, gatewayNamespace: string): ServerHost {
  const slash = raw.indexOf('/');
  if (slash < 0) return { namespace: '*', host: raw.toLowerCase() };
  const ns = raw.slice(0, slash);
  return { namespace: ns === '.' ? gatewayNamespace : ns, host: raw.slice(slash + 1).toLowerCase() };
}

/**
 * The domains a sidecar matches a service on, as Istio writes them: the FQDN, "<svc>.<ns>",
 * "<svc>.<ns>.svc", and the bare short name only inside the service's own namespace (a caller in
 * another namespace would resolve "reviews" to its own namespace). Each also with ":port".
 */
export function sidecarDomains(service: string, namespace: string, port: number, proxyNamespace: string): string[] {
  const names = [`${service}.${namespace}.${CLUSTER_DOMAIN}`];
  if (namespace === proxyNamespace) names.push(service);
  names.push(`${service}.${namespace}`, `${service}.${namespace}.svc`);
  return names.flatMap((name) => [name, `${name}:${port}`]);
}

/** The domains a sidecar matches a service port on: a ServiceEntry host as written (with and without the port), else sidecarDomains. */
export function serviceDomains(service: { name: string; namespace: string; fqdn: string; external?: unknown }, port: number, proxyNamespace: string): string[] {
  if (service.external) return [service.fqdn, `${service.fqdn}:${port}`];
  return sidecarDomains(service.name, service.namespace, port, proxyNamespace);
}
