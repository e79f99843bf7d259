import type { ChildProcess } from 'node:child_process';
import { LineSplitter, RingBuffer } from './output-lines.js';
import type { ExitStatus, ProcessSpec } from './process-spec.js';

export type OutputStream = 'stdout' | 'stderr';
export type OutputListener = (line: string, stream: OutputStream) => void;

// Children are spawned as leaders of their own process group (see Supervisor), so a signal
// can reach the whole group: a wrapper such as `npm run` or `sh -c` takes its own children
// down with it. Windows has no process groups.
const useProcessGroups = process.platform !== 'win32';

/** A running (or finished) child of the Supervisor. */
export class ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly spec: ProcessSpec;
  readonly startedAt = Date.now();
  /** Resolves once the child has exited; never rejects. */
  readonly exited: Promise<ExitStatus>;

  readonly #child: ChildProcess;
  readonly #lines: RingBuffer<string>;
  readonly #listeners = new Set<OutputListener>();
  #exitStatus: ExitStatus | undefined;
  #stopRequested = false;
  #readyAfterMs: number | undefined;

  /** @internal Created by Supervisor.start with a child whose pid is known. */
  constructor(spec: ProcessSpec, child: ChildProcess, outputLines: number) {
    if (child.pid === undefined) throw new Error(`ManagedProcess for ${spec.name} needs a spawned child with a pid`);
    this.name = spec.name;
    this.spec = spec;
    this.pid = child.pid;
    this.#child = child;
    this.#lines = new RingBuffer(outputLines);

    const pending: Promise<void>[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      const readable = child[stream];
      if (!readable) continue;
      const splitter = new LineSplitter((line) => this.#onLine(line, stream));
      readable.setEncoding('utf8');
      readable.on('data', (chunk: string) => splitter.write(chunk));
      // 'close' (not 'end') also covers a stream destroyed with an error.
      pending.push(new Promise((resolve) => readable.once('close', () => (splitter.flush(), resolve()))));
    }

    // 'exit' can come before the last output has been read; 'close' waits for the pipes too, so
    // whoever awaits `exited` sees every line. The pipes could outlive the child when it passed
    // them on to a grandchild, so do not wait for them for more than a moment.
    this.exited = new Promise<ExitStatus>((resolve) => {
      child.once('exit', (code, signal) => {
        const drained = Promise.all(pending);
        const timer = setTimeout(resolve, 200, { code, signal });
        void drained.then(() => {
          clearTimeout(timer);
          resolve({ code, signal });
        });
      });
    }).then((status) => (this.#exitStatus = status));
  }

  /** True until the child has exited. */
  get running(): boolean {
    return this.#exitStatus === undefined;
  }

  get exitStatus(): ExitStatus | undefined {
    return this.#exitStatus;
  }

  /** Milliseconds from spawn to ready, once it is ready. */
  get readyAfterMs(): number | undefined {
    return this.#readyAfterMs;
  }

  /** True once someone asked the Supervisor to stop it, so its exit is not a surprise. */
  get stopRequested(): boolean {
    return this.#stopRequested;
  }

  /** The last lines the child printed (stdout and stderr interleaved), oldest first. */
  output(count?: number): string[] {
    return this.#lines.toArray(count);
  }

  /** Be told about every further line of output. Returns a function that unsubscribes. */
  onOutput(listener: OutputListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Sends a signal to the child and its process group, right now. This is a raw signal: if the
   * child dies of it, the Supervisor reports an unexpected exit (use Supervisor.stop for a
   * planned stop). Returns false if the child had already exited.
   */
  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (!this.running) return false;
    if (useProcessGroups) {
      try {
        process.kill(-this.pid, signal);
        return true;
      } catch {
        // The group is gone or was never ours: fall back to the child alone.
      }
    }
    return this.#child.kill(signal);
  }

  /** @internal */
  markStopRequested(): void {
    this.#stopRequested = true;
  }

  /** @internal */
  markReady(): void {
    this.#readyAfterMs = Date.now() - this.startedAt;
  }

  #onLine(line: string, stream: OutputStream): void {
    this.#lines.push(line);
    for (const listener of this.#listeners) listener(line, stream);
  }
}
