// Where the canary's weight lives: the weights of the route to the two subsets in the service's
// VirtualService. The runner edits them in the file that holds that VirtualService, as a person
// would, keeping comments and layout (yaml's Document API), or writes a VirtualService of its own
// when the config has none for the service.
import { isMap, isSeq, parseAllDocuments, type Document, type YAMLMap } from 'yaml';
import type { CanarySpec } from './canary-spec.js';

/** A VirtualService routing `weight`% to the canary subset and the rest to the primary. */
export function canaryVirtualService(spec: CanarySpec, weight: number): string {
  return `# Written by \`skiff scenario run canary\` (Canary ${spec.namespace}/${spec.name}): it moves these weights.
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${spec.service}
  namespace: ${spec.namespace}
spec:
  hosts:
    - ${spec.service}
  http:
    - route:
        - destination:
            host: ${spec.service}
            subset: ${spec.primary}
          weight: ${100 - weight}
        - destination:
            host: ${spec.service}
            subset: ${spec.canary}
          weight: ${weight}
`;
}

function hostsService(doc: Document, service: string, namespace: string): boolean {
  if (doc.get('kind') !== 'VirtualService') return false;
  const ns = doc.getIn(['metadata', 'namespace']) ?? 'default';
  if (ns !== namespace) return false;
  const hosts = doc.getIn(['spec', 'hosts']);
  if (!isSeq(hosts)) return false;
  const names = [service, `${service}.${namespace}`, `${service}.${namespace}.svc.cluster.local`];
  return hosts.items.some((h) => names.includes(String((h as { value?: unknown }).value ?? h)));
}

/**
 * The file's text with the canary at `weight`%, or undefined when no VirtualService in it routes
 * the service. Throws when one does, but has no route with both subsets to move weight between.
 */
export function setCanaryWeight(file: string, text: string, spec: CanarySpec, weight: number): string | undefined {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return undefined;
  let found = false;
  for (const doc of docs) {
    if (!hostsService(doc, spec.service, spec.namespace)) continue;
    found = true;
    const http = doc.getIn(['spec', 'http']);
    const routes = isSeq(http) ? http.items.filter(isMap).map((r) => (r as YAMLMap).get('route')).filter(isSeq) : [];
    const route = routes.find((r) => {
      const subsets = r.items.filter(isMap).map((d) => (d as YAMLMap).getIn(['destination', 'subset']));
      return subsets.includes(spec.primary) && subsets.includes(spec.canary);
    });
    if (!route) {
      throw new Error(
        `${file}: VirtualService ${String(doc.getIn(['metadata', 'name']))} routes ${spec.service} but has no route with both subsets ${spec.primary} and ${spec.canary}; add one (weights ${spec.primary}: 100, ${spec.canary}: 0) for the canary to move`,
      );
    }
    for (const destination of route.items.filter(isMap) as YAMLMap[]) {
      const subset = destination.getIn(['destination', 'subset']);
      destination.set('weight', subset === spec.canary ? weight : subset === spec.primary ? 100 - weight : 0);
    }
  }
  return found ? docs.map((d) => d.toString()).join('') : undefined;
}
