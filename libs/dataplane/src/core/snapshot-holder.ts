import type { CompiledSnapshot } from './compiled-snapshot.js';

/** The snapshot in force. Swapping is one assignment, so readers never see a half-applied push. */
export class SnapshotHolder {
  #current: CompiledSnapshot | undefined;
  readonly #listeners: Array<(s: CompiledSnapshot) => void> = [];

  get current(): CompiledSnapshot | undefined {
    return this.#current;
  }

  swap(next: CompiledSnapshot): void {
    this.#current = next;
    for (const listener of this.#listeners) listener(next);
  }

  onSwap(listener: (s: CompiledSnapshot) => void): void {
    this.#listeners.push(listener);
  }
}
