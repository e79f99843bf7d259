// The route Skiff makes for a service no VirtualService routes: everything to the default
// cluster, with Istio's default retries.
import { clusterName } from '@skiff/api';
import { retryPolicy } from './retries.js';
import type { RouteInput } from './snapshot-types.js';

export function defaultRoute(fqdn: string, port: number): RouteInput {
  return {
    name: 'default',
    matches: [],
    action: {
      kind: 'route',
      clusters: [{ cluster: clusterName('outbound', port, undefined, fqdn), weight: 100 }],
      retries: retryPolicy(undefined, '', () => undefined),
    },
  };
}
