// Istio's exportTo: "*" (the default) is every namespace, "." the resource's own namespace,
// anything else a namespace name. A resource not exported to a proxy's namespace is invisible to it.

export function isVisibleTo(exportTo: readonly string[] | undefined, resourceNamespace: string, proxyNamespace: string): boolean {
  if (!exportTo || exportTo.length === 0) return true;
  return exportTo.some((to) => to === '*' || to === proxyNamespace || (to === '.' && resourceNamespace === proxyNamespace));
}
