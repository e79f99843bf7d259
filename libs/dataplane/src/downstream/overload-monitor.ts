// Samples the process's open files and heap once a second (Envoy's resource monitors) and says
// which overload action is in force. One per process: every data listener consults it.
import { readdirSync, readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import type { Logger } from '@skiff/telemetry';
import { DEFAULT_OVERLOAD_THRESHOLDS, overloadState, type OverloadState, type OverloadThresholds, type ResourceSample } from './overload-policy.js';

export class OverloadMonitor {
  #state: OverloadState = { level: 'normal', pressure: 0, resource: 'open files' };
  #timer: NodeJS.Timeout | undefined;
  readonly #maxOpenFiles = readMaxOpenFiles();
  readonly #listeners = new Set<(state: OverloadState) => void>();

  constructor(
    private readonly logger: Logger,
    private readonly thresholds: OverloadThresholds = DEFAULT_OVERLOAD_THRESHOLDS,
    private readonly sampleMs = 1000,
  ) {}

  get state(): OverloadState {
    return this.#state;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.sample(), this.sampleMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  onChange(listener: (state: OverloadState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Reads the resources now; also called by a listener that wants a fresh reading. */
  sample(override?: Partial<ResourceSample>): OverloadState {
    const heap = getHeapStatistics();
    const sample: ResourceSample = { openFiles: countOpenFiles(), maxOpenFiles: this.#maxOpenFiles, heapUsed: heap.used_heap_size, heapLimit: heap.heap_size_limit, ...override };
    const next = overloadState(sample, this.thresholds);
    const previous = this.#state;
    this.#state = next;
    if (next.level !== previous.level) {
      const line = { level: next.level, pressure: Number(next.pressure.toFixed(3)), resource: next.resource, openFiles: sample.openFiles, maxOpenFiles: sample.maxOpenFiles };
      if (next.level === 'normal') this.logger.info(line, 'overload over: accepting connections and requests again');
      else this.logger.warn(line, next.level === 'refuse' ? 'overloaded: refusing new connections and requests (503) until pressure drops; admin port still answers' : 'under pressure: closing idle downstream connections');
    }
    // Told on every reading under pressure, not only on changes: idle connections keep coming.
    if (next.level !== 'normal' || next.level !== previous.level) for (const listener of this.#listeners) listener(next);
    return next;
  }
}

function countOpenFiles(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0; // no procfs (macOS): the file-descriptor monitor is off, the heap one still works
  }
}

/** The soft RLIMIT_NOFILE, from /proc/self/limits (Node has no getrlimit). 0 when unknown. */
function readMaxOpenFiles(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft && /^\d+$/.test(soft) ? Number(soft) : 0;
  } catch {
    return 0;
  }
}
