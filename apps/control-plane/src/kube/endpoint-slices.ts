// What the control plane takes from EndpointSlices (discovery.k8s.io/v1): which pod addresses
// serve which Service, ready. In Kubernetes mode an endpoint exists only where a Service's slice
// lists the address as ready, never because a proxy announced it: a proxy may name any service,
// but it becomes an endpoint of that service only at an address Kubernetes itself assigned to it.
// (Istio takes endpoints from the same objects.) Pure.

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface EndpointSlice {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  addressType?: string;
  endpoints?: Array<{ addresses?: string[]; conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null } }> | null;
}

/** "namespace/service" -> the addresses the Service's slices list as ready. */
export type ReadyEndpoints = ReadonlyMap<string, ReadonlySet<string>>;

export function readyEndpoints(slices: readonly EndpointSlice[]): ReadyEndpoints {
  const ready = new Map<string, Set<string>>();
  for (const slice of slices) {
    const service = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!service) continue; // a slice no Service owns: nothing routes to it
    const key = `${slice.metadata.namespace ?? 'default'}/${service}`;
    const addresses = ready.get(key) ?? new Set<string>();
    for (const endpoint of slice.endpoints ?? []) {
      // The API documents an unset `ready` as "unknown", to be read as ready.
      if (endpoint.conditions?.ready === false) continue;
      for (const address of endpoint.addresses ?? []) addresses.add(address);
    }
    ready.set(key, addresses);
  }
  return ready;
}

/** True when the Service `namespace/service` has `address` as a ready endpoint. */
export function isReadyEndpoint(ready: ReadyEndpoints, namespace: string, service: string, address: string): boolean {
  return ready.get(`${namespace}/${service}`)?.has(address) ?? false;
}

/** Every ready address, with the namespace it is ready in (what a restarted control plane waits for). */
export function readyAddresses(ready: ReadyEndpoints): Array<{ namespace: string; address: string }> {
  const out = new Map<string, { namespace: string; address: string }>();
  for (const [key, addresses] of ready) {
    const namespace = key.slice(0, key.indexOf('/'));
    for (const address of addresses) out.set(`${namespace} ${address}`, { namespace, address });
  }
  return [...out.values()];
}
