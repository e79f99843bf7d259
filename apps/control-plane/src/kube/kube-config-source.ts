// Kubernetes mode's config source: the Istio custom resources, listed and watched through the
// API server, judged one object at a time, with the verdict written back to each object's
// status; and the EndpointSlices, which decide which proxies are endpoints of which Service.
// It hands the control plane the same ConfigSet the file source does.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { formatIssue, MESH_KINDS } from '@skiff/api';
import { MESH_RESOURCES } from '@skiff/kube';
import type { Logger } from '@skiff/telemetry';
import type { ConfigSet } from '../config/config-set.js';
import { isReadyEndpoint, readyAddresses, readyEndpoints, type EndpointSlice, type ReadyEndpoints } from './endpoint-slices.js';
import { acceptedCondition, conditionDiffers, currentCondition, nextVerdict, sourceOf, type ObjectVerdict } from './object-verdict.js';
import { Reflector, type WatchedResource } from './reflector.js';
import type { Backoff, KubeObject } from './reflector-state.js';

/** The kinds Skiff reads, named as the CRDs name them (libs/kube), at the storage version v1 (the API server converts older ones). */
export const ISTIO_RESOURCES: WatchedResource[] = MESH_KINDS.map((kind) => ({ group: MESH_RESOURCES[kind].group, version: 'v1', plural: MESH_RESOURCES[kind].plural, kind }));
export const ENDPOINT_SLICES: WatchedResource = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', kind: 'EndpointSlice' };

export interface KubeConfigSourceOptions {
  kubeConfig: KubeConfig;
  logger: Logger;
  /** The whole set after a change, and the sources (objects) that changed. */
  onChange: (set: ConfigSet, changed: string[]) => void;
  /** EndpointSlices changed: some workloads may have become (not) ready; `namespaces` have Services with endpoints. */
  onEndpoints?: (namespaces: string[]) => void;
  /** Only the leader writes status, so replicas don't fight over it. */
  isLeader: () => boolean;
  debounceMs?: number;
  backoff?: () => Backoff;
  watchTimeoutSeconds?: () => number;
}

interface Tracked {
  resource: WatchedResource;
  object: KubeObject;
  verdict: ObjectVerdict;
}

export class KubeConfigSource {
  readonly #options: KubeConfigSourceOptions;
  readonly #tracked = new Map<string, Tracked>();
  readonly #reflectors: Reflector[] = [];
  readonly #api: CustomObjectsApi;
  #ready: ReadyEndpoints = new Map();
  #pending = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  /** Conditions written and not yet seen back on the object, so one verdict is written once. */
  readonly #written = new Map<string, string>();
  #statusWrites = Promise.resolve();

  constructor(options: KubeConfigSourceOptions) {
    this.#options = options;
    this.#api = options.kubeConfig.makeApiClient(CustomObjectsApi);
  }

  /** Lists every kind once (waiting, with a log line, while the API server can't be reached), then watches. */
  async start(): Promise<ConfigSet> {
    const { logger } = this.#options;
    for (const resource of ISTIO_RESOURCES) this.#reflectors.push(this.#reflector(resource, (objects) => this.#objectsChanged(resource, objects)));
    this.#reflectors.push(
      this.#reflector(ENDPOINT_SLICES, (slices) => {
        this.#ready = readyEndpoints(slices as unknown as EndpointSlice[]);
        this.#options.onEndpoints?.([...new Set(readyAddresses(this.#ready).map((a) => a.namespace))]);
      }),
    );
    const waiting = setInterval(() => {
      const missing = this.#reflectors.filter((r) => r.state.needsList).map((r) => r.name);
      logger.info({ missing }, `kubernetes: still waiting for the first list of ${missing.join(', ')}`);
    }, 5000);
    try {
      await Promise.all(this.#reflectors.map((r) => r.start()));
    } finally {
      clearInterval(waiting);
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#pending.clear();
    const set = this.current();
    for (const issue of set.issues) logger[issue.severity === 'error' ? 'error' : 'warn']({ issue }, formatIssue(issue));
    logger.info({ resources: set.resources.length, objects: set.files.length }, 'kubernetes: custom resources listed; watching for changes');
    this.writeStatuses();
    return set;
  }

  #reflector(resource: WatchedResource, onChange: (objects: KubeObject[]) => void): Reflector {
    const { kubeConfig, logger, backoff, watchTimeoutSeconds } = this.#options;
    return new Reflector({ kubeConfig, logger, resource, onChange, ...(backoff ? { backoff: backoff() } : {}), ...(watchTimeoutSeconds ? { watchTimeoutSeconds } : {}) });
  }

  #objectsChanged(resource: WatchedResource, objects: KubeObject[]): void {
    const seen = new Set<string>();
    for (const object of objects) {
      const source = sourceOf(resource.plural, object);
      seen.add(source);
      const previous = this.#tracked.get(source);
      const verdict = nextVerdict(previous?.verdict, object, source);
      if (verdict !== previous?.verdict) this.#pending.add(source);
      this.#tracked.set(source, { resource, object, verdict });
    }
    for (const [source, tracked] of this.#tracked) {
      if (tracked.resource === resource && !seen.has(source)) {
        this.#tracked.delete(source); // deleted: its resources leave the mesh
        this.#written.delete(source);
        this.#pending.add(source);
      }
    }
    if (this.#pending.size > 0) {
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = setTimeout(() => this.#flush(), this.#options.debounceMs ?? 50);
    } else {
      this.writeStatuses(); // a status-only update may show a condition we still owe
    }
  }

  #flush(): void {
    const changed = [...this.#pending];
    this.#pending.clear();
    this.#options.onChange(this.current(), changed);
    this.writeStatuses();
  }

  current(): ConfigSet {
    const verdicts = [...this.#tracked.values()].map((t) => t.verdict).sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
    return {
      resources: verdicts.flatMap((v) => v.resources),
      issues: verdicts.flatMap((v) => v.issues),
      files: verdicts.map((v) => ({ file: v.source, resources: v.resources.length, rejected: v.rejected })),
    };
  }

  /** True when a Service's EndpointSlice lists this address as a ready endpoint of that Service. */
  serving(namespace: string, service: string, address: string): boolean {
    return isReadyEndpoint(this.#ready, namespace, service, address);
  }

  /** Every address Kubernetes lists as a ready endpoint (a restarted control plane waits for their proxies). */
  readyAddresses(): Array<{ namespace: string; address: string }> {
    return readyAddresses(this.#ready);
  }

  /** Brings every object's Accepted condition up to date (when this replica leads). */
  writeStatuses(): void {
    if (!this.#options.isLeader()) return;
    this.#statusWrites = this.#statusWrites.then(async () => {
      for (const [source, { resource, object, verdict }] of this.#tracked) {
        const current = currentCondition(object);
        const wanted = acceptedCondition(verdict, current, new Date());
        if (!conditionDiffers(current, wanted)) {
          this.#written.delete(source);
          continue;
        }
        const key = JSON.stringify({ ...wanted, lastTransitionTime: undefined });
        if (this.#written.get(source) === key) continue;
        this.#written.set(source, key);
        await this.#patchStatus(resource, object, wanted);
      }
    });
  }

  async #patchStatus(resource: WatchedResource, object: KubeObject, condition: ReturnType<typeof acceptedCondition>): Promise<void> {
    const others = ((object['status'] as { conditions?: Array<{ type?: string }> } | undefined)?.conditions ?? []).filter((c) => c.type !== 'Accepted');
    const { group, version, plural } = resource;
    const { name, namespace = 'default' } = object.metadata;
    try {
      await this.#api.patchNamespacedCustomObjectStatus({ group, version, plural, namespace, name, body: { status: { conditions: [...others, condition] } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    } catch (error) {
      this.#written.delete(sourceOf(plural, object)); // try again on the next change
      const code = (error as { code?: number }).code;
      const hint = code === 403 ? ' (the control plane needs "patch" on ' + `${plural}/status in ${group}; see k8s/base RBAC)` : code === 404 ? ' (deleted meanwhile)' : '';
      this.#options.logger.warn({ object: `${namespace}/${name}`, code }, `kubernetes: cannot write the status of ${plural} ${namespace}/${name}: ${(error as Error).message?.split('\n')[0]}${hint}`);
    }
  }

  /** Waits for status writes under way (tests, shutdown). */
  settled(): Promise<void> {
    return this.#statusWrites;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    for (const r of this.#reflectors) r.stop();
    await this.#statusWrites;
  }
}
