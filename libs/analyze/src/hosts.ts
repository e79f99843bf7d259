// Host and visibility rules shared by the checks, as Istio (and configgen) apply them.
import type { Loaded } from '@skiff/api';

/** Does `pattern` ("*", "*.suffix" or an exact host) cover the exact `host`? */
export function hostCovers(pattern: string, host: string): boolean {
  if (pattern === '*' || pattern === host) return true;
  return pattern.startsWith('*.') && host.endsWith(pattern.slice(1));
}

/** The namespaces a resource is exported to; undefined for all of them ("*" or no exportTo). */
function exportedTo(r: Loaded): Set<string> | undefined {
  const to = 'exportTo' in r.spec ? r.spec.exportTo : undefined;
  if (!to || to.length === 0 || to.includes('*')) return undefined;
  return new Set(to.map((ns) => (ns === '.' ? r.metadata.namespace : ns)));
}

/** Is some namespace able to see both resources? Only then can they conflict. */
export function visibleTogether(a: Loaded, b: Loaded): boolean {
  const sa = exportedTo(a);
  const sb = exportedTo(b);
  if (!sa || !sb) return (sa ?? sb)?.size !== 0;
  return [...sa].some((ns) => sb.has(ns));
}

/** A VirtualService's `gateways` entry as "ns/name": a bare name is relative to the VirtualService. */
export function resolveGatewayRef(ref: string, vsNamespace: string): string {
  return ref.includes('/') ? ref : `${vsNamespace}/${ref}`;
}
