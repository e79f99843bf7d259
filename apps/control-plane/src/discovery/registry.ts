// The workloads the mesh knows: one entry per discovery stream (never per announced id, so a
// second stream claiming an id cannot replace the first one's endpoint), withdrawn shortly after
// its stream goes away. After a restart, the entries saved by the previous run (registry-store.ts)
// stand in until their proxies reconnect, so no push drops endpoints merely because their proxies
// have not re-registered yet; those that do not come back leave when the restore window ends.
import type { WorkloadInfo } from '@skiff/api';

interface Entry {
  workload: WorkloadInfo;
  /** Set while the entry comes from the previous run and its proxy has not reconnected. */
  restored?: true;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const sortWorkloads = (list: WorkloadInfo[]) => list.sort((a, b) => compare(a.id, b.id) || compare(a.address, b.address) || a.inboundPort - b.inboundPort);

const sameEndpoint = (a: WorkloadInfo, b: WorkloadInfo) => a.id === b.id && a.address === b.address && a.inboundPort === b.inboundPort;

export class WorkloadRegistry {
  readonly #entries = new Map<string, Entry>();
  readonly #expiry = new Map<string, NodeJS.Timeout>();
  readonly #listeners: Array<() => void> = [];
  #restoreTimer: NodeJS.Timeout | undefined;

  /** `graceMs`: how long a disconnected stream's endpoint stays (a reconnect within it is seamless). */
  constructor(private readonly graceMs = 1_000) {}

  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /** The workload a stream announced (or announces anew, e.g. with a new health). */
  register(key: string, workload: WorkloadInfo): void {
    const timer = this.#expiry.get(key);
    if (timer) {
      clearTimeout(timer);
      this.#expiry.delete(key);
    }
    let changed = false;
    for (const [other, entry] of this.#entries) {
      if (entry.restored && sameEndpoint(entry.workload, workload)) {
        this.#entries.delete(other); // its proxy is back
        changed = true;
      }
    }
    const previous = this.#entries.get(key);
    this.#entries.set(key, { workload });
    if (changed || !previous || JSON.stringify(previous.workload) !== JSON.stringify(workload)) this.#changed();
  }

  /** The stream ended: its endpoint leaves after the grace period unless the stream's key comes back. */
  disconnected(key: string): void {
    if (!this.#entries.has(key) || this.#expiry.has(key)) return;
    this.#expiry.set(
      key,
      setTimeout(() => {
        this.#expiry.delete(key);
        if (this.#entries.delete(key)) this.#changed();
      }, this.graceMs).unref(),
    );
  }

  /** Entries of the previous run, in force until their proxies reconnect or `windowMs` passes. */
  restore(workloads: readonly WorkloadInfo[], windowMs: number): void {
    workloads.forEach((workload, i) => this.#entries.set(`restored:${i}:${workload.id}`, { workload, restored: true }));
    if (workloads.length === 0) return;
    this.#changed();
    this.#restoreTimer = setTimeout(() => {
      let dropped = false;
      for (const [key, entry] of this.#entries) {
        if (entry.restored) dropped = this.#entries.delete(key) || dropped;
      }
      if (dropped) this.#changed();
    }, windowMs).unref();
  }

  /** How many restored entries still wait for their proxy. */
  get awaitingReconnect(): number {
    return [...this.#entries.values()].filter((e) => e.restored).length;
  }

  /** Every endpoint, sorted by id, then address and port (stable for snapshots and views). */
  list(): WorkloadInfo[] {
    return sortWorkloads([...this.#entries.values()].map((e) => e.workload));
  }

  /** The workloads of live streams only (what is saved for the next run). */
  live(): WorkloadInfo[] {
    return sortWorkloads([...this.#entries.values()].filter((e) => !e.restored).map((e) => e.workload));
  }

  /** A workload by the id it announced (the first, should two streams claim one). */
  get(id: string): WorkloadInfo | undefined {
    return this.list().find((w) => w.id === id);
  }

  stop(): void {
    for (const timer of this.#expiry.values()) clearTimeout(timer);
    this.#expiry.clear();
    clearTimeout(this.#restoreTimer);
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}
