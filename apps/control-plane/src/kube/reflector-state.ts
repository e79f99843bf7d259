// The bookkeeping of one list+watch, as client-go's Reflector keeps it, with no I/O: what is
// cached, the resourceVersion to resume from, and whether the next step must be a fresh list.
// The driver (reflector.ts) feeds it lists, watch events and watch endings.

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; generation?: number; [key: string]: unknown };
  [key: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export const objectKey = (o: Pick<KubeObject, 'metadata'>): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export class ReflectorState {
  readonly objects = new Map<string, KubeObject>();
  /** Where the next watch resumes; '' means nothing listed yet. */
  resourceVersion = '';
  /** True at start, and after "410 Gone": the cache can't be caught up by watching, only by listing. */
  needsList = true;

  /** A list replaces the cache. Returns true when anything changed. */
  listed(items: KubeObject[], resourceVersion: string): boolean {
    const before = this.#fingerprint();
    this.objects.clear();
    for (const item of items) this.objects.set(objectKey(item), item);
    this.resourceVersion = resourceVersion;
    this.needsList = false;
    return this.#fingerprint() !== before;
  }

  /** One watch event. Returns true when the cache changed. */
  event(type: WatchEventType, object: unknown): boolean {
    if (type === 'ERROR') {
      // The server ends the watch after this; a 410 means our version is gone from its history.
      if (isStatus(object) && object.code === 410) this.needsList = true;
      return false;
    }
    const o = object as KubeObject;
    if (!o?.metadata) return false;
    if (o.metadata.resourceVersion) this.resourceVersion = o.metadata.resourceVersion;
    if (type === 'BOOKMARK') return false; // only moves the version on, so a reconnect needn't relist
    const key = objectKey(o);
    if (type === 'DELETED') return this.objects.delete(key);
    this.objects.set(key, o);
    return true;
  }

  /** A watch request failed or ended with an HTTP 410: list again. */
  expired(): void {
    this.needsList = true;
  }

  list(): KubeObject[] {
    return [...this.objects.values()];
  }

  #fingerprint(): string {
    return [...this.objects.entries()].map(([k, o]) => `${k}@${o.metadata.resourceVersion ?? ''}`).sort().join(',');
  }
}

function isStatus(o: unknown): o is { kind: 'Status'; code?: number } {
  return typeof o === 'object' && o !== null && (o as { kind?: unknown }).kind === 'Status';
}

/** Exponential backoff with jitter, as client-go's: the delay doubles up to a cap, reset after a good watch. */
export class Backoff {
  #attempt = 0;
  constructor(
    private readonly initialMs = 500,
    private readonly maxMs = 30_000,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** this.#attempt);
    this.#attempt += 1;
    return Math.round(base * (0.5 + this.random() / 2)); // between half and all of it, so replicas don't retry in step
  }

  reset(): void {
    this.#attempt = 0;
  }
}
