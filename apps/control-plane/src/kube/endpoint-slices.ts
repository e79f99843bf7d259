// What the control plane takes from EndpointSlices (discovery.k8s.io/v1): the pod addresses
// Kubernetes does not consider ready, so their sidecars' endpoints are withheld from callers
// while a pod starts, fails its readiness probe, or terminates (as Istio does). Pure.

export interface EndpointSlice {
  metadata: { name: string; namespace?: string };
  addressType?: string;
  endpoints?: Array<{ addresses?: string[]; conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null } }> | null;
}

export function notReadyAddresses(slices: readonly EndpointSlice[]): Set<string> {
  const ready = new Set<string>();
  const notReady = new Set<string>();
  for (const slice of slices) {
    for (const endpoint of slice.endpoints ?? []) {
      // The API documents an unset `ready` as "unknown", to be read as ready.
      const isReady = endpoint.conditions?.ready !== false;
      for (const address of endpoint.addresses ?? []) (isReady ? ready : notReady).add(address);
    }
  }
  // An address ready in any slice (e.g. a pod behind two Services) stays in.
  for (const address of ready) notReady.delete(address);
  return notReady;
}
