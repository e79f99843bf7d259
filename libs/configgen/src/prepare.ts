// Translation shared across proxies. What a proxy gets depends only on its namespace
// (visibility, short names, which DestinationRule and VirtualService win) or, for gateways, on
// which Gateways select it. So each namespace is computed once, and inside it the expensive
// pieces (a service's clusters, a service's virtual host) are memoized by exactly what they
// depend on and shared between namespaces. Returned snapshots share objects: treat them as
// read-only.
import { DEFAULT_ROOT_NAMESPACE, DEFAULT_TRUST_DOMAIN, type Cluster, type DestinationRule, type Gateway, type Loaded, type MeshConfig, type ProxySnapshotInput, type ServiceEntry, type VirtualService, type WorkloadInfo } from '@skiff/api';
import { clustersForService } from './clusters.js';
import { describeResource, resourceKey } from './describe.js';
import type { DestinationContext } from './destinations.js';
import { indexDestinationRules, type Warn } from './destination-rules.js';
import { buildGatewayRoutes, selectGateways, type GatewayRoutes } from './gateway-routes.js';
import { WarningMemo } from './memo.js';
import { compareKeys } from './order.js';
import { indexSecurity } from './security.js';
import { buildExternalServices, buildServiceRegistry, type ServiceInfo } from './services.js';
import { buildSidecarRouteConfigs, buildSidecarTcpServices, sidecarVirtualHost } from './sidecar-routes.js';
import type { RouteConfigInput, TcpServiceInput, VirtualHostInput } from './snapshot-types.js';
import { indexMeshVirtualServices } from './virtual-services.js';

export interface SnapshotResult {
  snapshot: ProxySnapshotInput;
  /** Conflicts and dangling references that affect this proxy, each naming resource, file and fix. */
  warnings: string[];
}

export interface PrepareOptions {
  /** The mesh's trust domain, first part of every SPIFFE ID (Istio's default: cluster.local). */
  trustDomain?: string;
  /** Where mesh-wide security policies live (Istio's meshConfig.rootNamespace, default istio-system). */
  rootNamespace?: string;
  /**
   * meshConfig.outboundTrafficPolicy.mode: what sidecars do with a host the registry does not know
   * (default ALLOW_ANY). The mesh ConfigMap among the resources, when it sets the mode, wins.
   */
  outboundTrafficPolicy?: 'ALLOW_ANY' | 'REGISTRY_ONLY';
}

export interface PreparedConfig {
  /** The service registry derived from the workloads, sorted by FQDN. */
  readonly services: readonly ServiceInfo[];
  /** Problems with the input as a whole (e.g. duplicate resources), also included in every result. */
  readonly warnings: readonly string[];
  snapshotFor(proxy: WorkloadInfo, version: string): SnapshotResult;
}

interface Collected<T> {
  value: T;
  warnings: string[];
}

function collect<T>(build: (warn: Warn) => T): Collected<T> {
  const warnings: string[] = [];
  const value = build((message) => warnings.push(message));
  return { value, warnings };
}

/** Clusters as seen by every namespace whose DestinationRule choices are the same. */
interface ClusterView {
  /** Distinguishes views in memo keys. */
  id: number;
  clusters: Cluster[];
  context: Omit<DestinationContext, 'warn'>;
}

function sortAndDeduplicate(resources: readonly Loaded[], warnings: string[]): Loaded[] {
  const sorted = [...resources].sort((a, b) =>
    compareKeys([a.kind, a.metadata.namespace, a.metadata.name], [b.kind, b.metadata.namespace, b.metadata.name]),
  );
  const out: Loaded[] = [];
  for (const r of sorted) {
    const prev = out[out.length - 1];
    if (prev && prev.kind === r.kind && prev.metadata.namespace === r.metadata.namespace && prev.metadata.name === r.metadata.name) {
      warnings.push(`duplicate: ${describeResource(r)} has the same kind, namespace and name as ${describeResource(prev)}, which is used; this one is ignored. Rename or remove one.`);
      continue;
    }
    out.push(r);
  }
  return out;
}

export function prepare(resources: readonly Loaded[], workloads: readonly WorkloadInfo[], options: PrepareOptions = {}): PreparedConfig {
  const globalWarnings: string[] = [];
  const sorted = sortAndDeduplicate(resources, globalWarnings);
  const trustDomain = options.trustDomain ?? DEFAULT_TRUST_DOMAIN;
  const security = indexSecurity(sorted, { trustDomain, rootNamespace: options.rootNamespace ?? DEFAULT_ROOT_NAMESPACE });
  const virtualServices = sorted.filter((r): r is Loaded<VirtualService> => r.kind === 'VirtualService');
  const destinationRules = sorted.filter((r): r is Loaded<DestinationRule> => r.kind === 'DestinationRule');
  const gateways = sorted.filter((r): r is Loaded<Gateway> => r.kind === 'Gateway');
  const meshConfig = sorted.find((r): r is Loaded<MeshConfig> => r.kind === 'MeshConfig');
  const outboundTrafficPolicy = meshConfig?.spec.outboundTrafficPolicy?.mode ?? options.outboundTrafficPolicy ?? 'ALLOW_ANY';
  const meshServices = buildServiceRegistry(workloads, {
    trustDomain,
    tlsModeFor: (w) => {
      const pa = security.securityFor(w, () => undefined).peerAuthentication;
      return (pa.portLevel?.[String(w.servicePort)] ?? pa.mode) === 'DISABLE' ? 'disabled' : 'istio';
    },
  });
  const serviceEntries = sorted.filter((r): r is Loaded<ServiceEntry> => r.kind === 'ServiceEntry');
  const services = [...meshServices, ...buildExternalServices(serviceEntries, new Set(meshServices.map((s) => s.fqdn)), (m) => globalWarnings.push(m))].sort((a, b) => compareKeys([a.fqdn], [b.fqdn]));
  const servicesByFqdn = new Map(services.map((s) => [s.fqdn, s]));
  const knownNamespaces = new Set([...workloads.map((w) => w.namespace), ...sorted.map((r) => r.metadata.namespace)]);

  const serviceClusters = new WarningMemo<Cluster[]>();
  const virtualHosts = new WarningMemo<VirtualHostInput>();
  const viewsBySignature = new Map<string, ClusterView>();
  const clusterViews = new Map<string, Collected<ClusterView>>();
  const sidecarRoutes = new Map<string, Collected<{ routeConfigs: RouteConfigInput[]; tcpServices: TcpServiceInput[] }>>();
  const gatewayRoutes = new Map<string, Collected<GatewayRoutes>>();

  function clustersFor(namespace: string): Collected<ClusterView> {
    let view = clusterViews.get(namespace);
    if (view) return view;
    view = collect((warn) => {
      const index = indexDestinationRules(destinationRules, namespace, knownNamespaces, warn);
      const rules = services.map((s) => index.forHost(s.fqdn));
      const signature = rules.map((r) => (r ? resourceKey(r) : '')).join('\n');
      let shared = viewsBySignature.get(signature);
      if (!shared) {
        const clusters = services.flatMap((s, i) => {
          const rule = rules[i];
          return serviceClusters.get(`${s.fqdn}\n${rule ? resourceKey(rule) : ''}`, warn, () => clustersForService(s, rule));
        });
        const context = { services: servicesByFqdn, knownNamespaces, clusterNames: new Set(clusters.map((c) => c.name)) };
        shared = { id: viewsBySignature.size, clusters, context };
        viewsBySignature.set(signature, shared);
      }
      return shared;
    });
    clusterViews.set(namespace, view);
    return view;
  }

  function sidecarRoutesFor(namespace: string): Collected<{ routeConfigs: RouteConfigInput[]; tcpServices: TcpServiceInput[] }> {
    let routes = sidecarRoutes.get(namespace);
    if (routes) return routes;
    const view = clustersFor(namespace).value;
    routes = collect((warn) => {
      const index = indexMeshVirtualServices(virtualServices, namespace, knownNamespaces, warn);
      const routeConfigs = buildSidecarRouteConfigs(
        services,
        namespace,
        index,
        { ...view.context, warn },
        // A virtual host depends on the namespace only through the short-name rule and the
        // winning VirtualService, so namespaces share it.
        (service, port, proxyNamespace, vs, ctx) =>
          virtualHosts.get(`${view.id}\n${service.fqdn}\n${port}\n${service.namespace === proxyNamespace}\n${vs ? resourceKey(vs) : ''}`, ctx.warn, (w) =>
            sidecarVirtualHost(service, port, proxyNamespace, vs, { ...ctx, warn: w }),
          ),
      );
      return { routeConfigs, tcpServices: buildSidecarTcpServices(services, namespace, index, { ...view.context, warn }) };
    });
    sidecarRoutes.set(namespace, routes);
    return routes;
  }

  function gatewayRoutesFor(proxy: WorkloadInfo): Collected<GatewayRoutes> {
    const selected = selectGateways(gateways, proxy);
    const key = `${proxy.namespace}\n${selected.map(resourceKey).join('\n')}`;
    let routes = gatewayRoutes.get(key);
    if (routes) return routes;
    const { context } = clustersFor(proxy.namespace).value;
    routes = collect((warn) => buildGatewayRoutes(selected, virtualServices, proxy.namespace, { ...context, warn }));
    gatewayRoutes.set(key, routes);
    return routes;
  }

  return {
    services,
    warnings: globalWarnings,
    snapshotFor(proxy, version) {
      const clusters = clustersFor(proxy.namespace);
      const warnings = [...globalWarnings, ...clusters.warnings];
      let routeConfigs: RouteConfigInput[];
      let gatewayServers: GatewayRoutes['gatewayServers'] = [];
      let tcpServices: TcpServiceInput[];
      if (proxy.kind === 'gateway') {
        const gw = gatewayRoutesFor(proxy);
        routeConfigs = gw.value.routeConfigs;
        gatewayServers = gw.value.gatewayServers;
        tcpServices = gw.value.tcpServices;
        warnings.push(...gw.warnings);
      } else {
        const sidecar = sidecarRoutesFor(proxy.namespace);
        routeConfigs = sidecar.value.routeConfigs;
        tcpServices = sidecar.value.tcpServices;
        warnings.push(...sidecar.warnings);
      }
      const securityFor = security.securityFor(proxy, (message) => warnings.push(message));
      return { snapshot: { version, routeConfigs, clusters: clusters.value.clusters, gatewayServers, ...(tcpServices.length > 0 ? { tcpServices } : {}), ...(outboundTrafficPolicy === 'REGISTRY_ONLY' ? { outboundTrafficPolicy: 'REGISTRY_ONLY' as const } : {}), security: securityFor }, warnings: [...new Set(warnings)] };
    },
  };
}
