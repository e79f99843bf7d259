// A pushed snapshot turned into ready-to-run objects once (Envoy's model): route tables with
// compiled matchers, clusters with their load balancers. Requests hold on to the snapshot they
// started with, so a push never changes a request half-way.
import type { ProxySnapshot } from '@skiff/api';
import { compileRouteConfig, type CompiledRouteConfig } from '@skiff/routing';
import { ClusterRuntime } from './cluster-runtime.js';

export class CompiledSnapshot {
  readonly routeConfigs = new Map<string, CompiledRouteConfig>();
  readonly clusters = new Map<string, ClusterRuntime>();
  readonly origins = new Set<string>();

  /** `previous`: the snapshot being replaced, whose per-cluster state carries over. */
  constructor(readonly raw: ProxySnapshot, previous?: CompiledSnapshot) {
    for (const rc of raw.routeConfigs) this.routeConfigs.set(rc.name, compileRouteConfig(rc));
    for (const cluster of raw.clusters) {
      const runtime = new ClusterRuntime(cluster, previous?.clusters.get(cluster.name));
      this.clusters.set(cluster.name, runtime);
      for (const e of runtime.endpoints) this.origins.add(e.origin);
    }
  }

  get version(): string {
    return this.raw.version;
  }
}
