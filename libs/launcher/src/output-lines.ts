/** Keeps the last `capacity` items; older ones fall off. */
export class RingBuffer<T> {
  readonly #items: T[] = [];
  #next = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`RingBuffer capacity must be a positive integer, got ${capacity}`);
    }
  }

  push(item: T): void {
    if (this.#items.length < this.capacity) this.#items.push(item);
    else this.#items[this.#next] = item;
    this.#next = (this.#next + 1) % this.capacity;
  }

  /** Oldest first; at most the last `count` items when given. */
  toArray(count?: number): T[] {
    const ordered =
      this.#items.length < this.capacity
        ? this.#items.slice()
        : [...this.#items.slice(this.#next), ...this.#items.slice(0, this.#next)];
    return count === undefined ? ordered : ordered.slice(Math.max(0, ordered.length - count));
  }

  get size(): number {
    return this.#items.length;
  }
}

/**
 * Turns a stream of text chunks into whole lines. Chunks split lines anywhere, so the tail
 * without a newline waits for the next chunk (or `flush` at end of stream). A runaway line
 * without newlines is cut at `maxLineLength` so one child cannot grow our memory unbounded.
 */
export class LineSplitter {
  #partial = '';

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLineLength = 64 * 1024,
  ) {}

  write(chunk: string): void {
    const parts = (this.#partial + chunk).split('\n');
    this.#partial = parts.pop() ?? '';
    for (const part of parts) this.onLine(stripCarriageReturn(part));
    while (this.#partial.length > this.maxLineLength) {
      this.onLine(this.#partial.slice(0, this.maxLineLength));
      this.#partial = this.#partial.slice(this.maxLineLength);
    }
  }

  flush(): void {
    if (this.#partial.length > 0) this.onLine(stripCarriageReturn(this.#partial));
    this.#partial = '';
  }
}

function stripCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
