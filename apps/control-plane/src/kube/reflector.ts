// List+watch of one resource across all namespaces, kept in a local cache, like client-go's
// Reflector. Written on top of @kubernetes/client-node's Watch rather than its ListWatch because
// ListWatch (1.x) stops for good on the first dropped connection, never asks for bookmarks and
// has no backoff; this loop resumes from the last version seen, relists only after "410 Gone",
// and backs off with jitter while the API server is away.
import { CustomObjectsApi, Watch, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '@skiff/telemetry';
import { Backoff, ReflectorState, type KubeObject, type WatchEventType } from './reflector-state.js';

export interface WatchedResource {
  group: string;
  version: string;
  plural: string;
  kind: string;
}

export interface ReflectorOptions {
  kubeConfig: KubeConfig;
  resource: WatchedResource;
  logger: Logger;
  /** Called with the whole cache after every change (the caller debounces if it wants). */
  onChange: (objects: KubeObject[]) => void;
  backoff?: Backoff;
  /** Server-side watch timeout; client-go picks 5–10 minutes at random so watches don't all end together. */
  watchTimeoutSeconds?: () => number;
}

const isGone = (error: unknown) => {
  const e = error as { code?: unknown; statusCode?: unknown };
  return e?.code === 410 || e?.statusCode === 410;
};

const describe = (error: unknown) => {
  const e = error as { code?: unknown; statusCode?: unknown; message?: string; body?: unknown };
  const status = e?.statusCode ?? (typeof e?.code === 'number' ? e.code : undefined);
  const text = e?.message ?? String(error);
  return status === undefined ? text : `HTTP ${String(status)}: ${text.split('\n')[0]}`;
};

export class Reflector {
  readonly state = new ReflectorState();
  readonly #options: ReflectorOptions;
  readonly #backoff: Backoff;
  readonly #api: CustomObjectsApi;
  readonly #watch: Watch;
  #stopped = false;
  #controller: AbortController | undefined;
  #wake: (() => void) | undefined;
  #synced: { promise: Promise<void>; resolve: () => void };

  constructor(options: ReflectorOptions) {
    this.#options = options;
    this.#backoff = options.backoff ?? new Backoff();
    this.#api = options.kubeConfig.makeApiClient(CustomObjectsApi);
    this.#watch = new Watch(options.kubeConfig);
    // Promise.withResolvers is Node 22+.
    const synced: { promise?: Promise<void>; resolve?: () => void } = {};
    synced.promise = new Promise<void>((r) => (synced.resolve = r));
    this.#synced = synced as { promise: Promise<void>; resolve: () => void };
  }

  get name(): string {
    const { plural, group } = this.#options.resource;
    return `${plural}.${group}`;
  }

  /** Starts the loop; the promise resolves once the first list is in the cache. */
  start(): Promise<void> {
    void this.#run();
    return this.#synced.promise;
  }

  stop(): void {
    this.#stopped = true;
    this.#controller?.abort();
    this.#wake?.();
  }

  async #run(): Promise<void> {
    const { logger } = this.#options;
    while (!this.#stopped) {
      try {
        if (this.state.needsList) await this.#list();
        const { events, ms } = await this.#watchOnce();
        // A watch that closes at once with nothing in it is a failing server, not a timeout.
        if (events === 0 && ms < 1000 && !this.state.needsList) await this.#sleep(this.#backoff.next());
        else this.#backoff.reset();
      } catch (error) {
        if (this.#stopped) break;
        if (isGone(error)) {
          this.state.expired();
          logger.info({ resource: this.name }, `kubernetes: ${this.name}: resourceVersion expired (410 Gone); listing again`);
          continue;
        }
        const delay = this.#backoff.next();
        logger.warn({ resource: this.name, retryInMs: delay }, `kubernetes: ${this.name}: ${describe(error)}; retrying in ${delay} ms (check the API server address, the service account's RBAC, and that the CRDs are installed)`);
        await this.#sleep(delay);
      }
    }
  }

  async #list(): Promise<void> {
    const { group, version, plural, kind } = this.#options.resource;
    const list = (await this.#api.listClusterCustomObject({ group, version, plural })) as { metadata?: { resourceVersion?: string }; items?: KubeObject[] };
    // Lists of built-in kinds leave apiVersion and kind off their items.
    const items = (list.items ?? []).map((o) => ({ ...o, apiVersion: o.apiVersion ?? `${group}/${version}`, kind: o.kind ?? kind }));
    const changed = this.state.listed(items, list.metadata?.resourceVersion ?? '');
    this.#synced.resolve();
    if (changed) this.#options.onChange(this.state.list());
  }

  #watchOnce(): Promise<{ events: number; ms: number }> {
    const { group, version, plural, kind } = this.#options.resource;
    const started = Date.now();
    let events = 0;
    const timeoutSeconds = this.#options.watchTimeoutSeconds?.() ?? 300 + Math.floor(Math.random() * 300);
    return new Promise((resolve, reject) => {
      // A connection that dies without a FIN would hang forever; the server closes a healthy one at timeoutSeconds.
      const idle = setTimeout(() => this.#controller?.abort(), (timeoutSeconds + 30) * 1000);
      const done = (error: unknown) => {
        clearTimeout(idle);
        this.#controller = undefined;
        if (error && !this.#stopped && !(error as { name?: string }).name?.includes('Abort')) reject(error);
        else resolve({ events, ms: Date.now() - started });
      };
      const onEvent = (type: string, object: unknown) => {
        events += 1;
        const o = object as KubeObject;
        if (type !== 'ERROR' && type !== 'BOOKMARK' && o?.metadata) {
          o.apiVersion ??= `${group}/${version}`;
          o.kind ??= kind;
        }
        if (type === 'ERROR') this.#options.logger.info({ resource: this.name, status: object }, `kubernetes: ${this.name}: the watch ended with an error event`);
        if (this.state.event(type as WatchEventType, object)) this.#options.onChange(this.state.list());
      };
      this.#watch
        .watch(`/apis/${group}/${version}/${plural}`, { resourceVersion: this.state.resourceVersion, allowWatchBookmarks: true, timeoutSeconds }, onEvent, done)
        .then((controller) => {
          this.#controller = controller;
          if (this.#stopped) controller.abort();
        })
        .catch(done);
    });
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
