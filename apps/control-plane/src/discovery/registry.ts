// The workloads the mesh knows, as their proxies announced them on the discovery stream. A
// proxy that disconnects keeps its endpoints for a grace period, so a control-plane hiccup or a
// quick proxy restart does not pull endpoints from every other proxy's config.
import type { WorkloadInfo } from '@skiff/api';

export class WorkloadRegistry {
  readonly #workloads = new Map<string, WorkloadInfo>();
  readonly #expiry = new Map<string, NodeJS.Timeout>();
  readonly #listeners: Array<() => void> = [];

  constructor(private readonly graceMs = 10_000) {}

  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  upsert(workload: WorkloadInfo): void {
    const timer = this.#expiry.get(workload.id);
    if (timer) {
      clearTimeout(timer);
      this.#expiry.delete(workload.id);
    }
    const previous = this.#workloads.get(workload.id);
    this.#workloads.set(workload.id, workload);
    if (!previous || JSON.stringify(previous) !== JSON.stringify(workload)) this.#changed();
  }

  /** The proxy's stream ended: remove its endpoints unless it comes back within the grace period. */
  disconnected(id: string): void {
    if (!this.#workloads.has(id) || this.#expiry.has(id)) return;
    this.#expiry.set(
      id,
      setTimeout(() => {
        this.#expiry.delete(id);
        this.#workloads.delete(id);
        this.#changed();
      }, this.graceMs).unref(),
    );
  }

  list(): WorkloadInfo[] {
    return [...this.#workloads.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get(id: string): WorkloadInfo | undefined {
    return this.#workloads.get(id);
  }

  stop(): void {
    for (const timer of this.#expiry.values()) clearTimeout(timer);
    this.#expiry.clear();
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}
