// Round robin over a list that can be replaced (a new endpoint set after a push) without
// restarting at the first entry: the position carries over, so a push does not send the next
// burst of requests from every proxy to endpoint 0.

export class RoundRobin<T> {
  #items: readonly T[];
  #position: number;

  /** `start` lets each proxy begin at a different entry (Envoy starts at a random one). */
  constructor(items: readonly T[] = [], start = 0) {
    this.#items = items;
    this.#position = Math.max(0, Math.floor(start));
  }

  get items(): readonly T[] {
    return this.#items;
  }

  /** Swaps in a new list; the rotation continues from the same position. */
  replace(items: readonly T[]): void {
    this.#items = items;
  }

  /**
   * The next entry in turn, or undefined when the list is empty. With `accept`, entries it
   * rejects (e.g. ejected hosts) are skipped; undefined when it rejects all of them.
   */
  next(accept?: (item: T) => boolean): T | undefined {
    const items = this.#items;
    const n = items.length;
    for (let tried = 0; tried < n; tried++) {
      const item = items[this.#position % n] as T;
      this.#position = (this.#position % n) + 1;
      if (accept === undefined || accept(item)) return item;
    }
    return undefined;
  }
}
