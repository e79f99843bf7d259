import { withStartLock } from './start-lock.js';
import { spawn } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { ManagedProcess, type OutputStream } from './managed-process.js';
import { formatPrefix, formatSeconds, indentLines, shouldUseColor } from './output-format.js';
import { RingBuffer } from './output-lines.js';
import { DEFAULT_READY_TIMEOUT_MS, describeExit, type ExitStatus, type ProcessSpec } from './process-spec.js';
import { commandLine, waitUntilReady } from './readiness.js';
import { ProcessStartError } from './start-error.js';

export type UnexpectedExitHandler = (proc: ManagedProcess, status: ExitStatus) => void;

export interface SupervisorOptions {
  /** Where lines go; default: process.stdout. */
  log?: (line: string) => void;
  /** Prefix each child line with a padded "name │ ", coloured on a terminal unless NO_COLOR. */
  prefixOutput?: boolean;
  /** Keep everything in a ring buffer (see `captured()`) instead of printing it; for tests. */
  quiet?: boolean;
  /** Force colour on or off; default: on when stdout is a TTY and NO_COLOR is unset. */
  color?: boolean;
  /** Lines kept per process for `output()` and error reports; default 200. */
  outputLines?: number;
  onUnexpectedExit?: UnexpectedExitHandler;
  /**
   * Start a process again when it exits unexpectedly, after a delay that doubles with each
   * crash in a row (from `initialDelayMs` up to `maxDelayMs`); a process that ran for
   * `resetAfterMs` starts the count anew. Each restart is printed.
   */
  restartOnExit?: RestartPolicy;
}

export interface RestartPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  resetAfterMs: number;
}

/** What `skiff up` uses: 0.5 s, 1 s, 2 s, ... up to 30 s; a minute of good health resets it. */
export const DEFAULT_RESTART_POLICY: RestartPolicy = { initialDelayMs: 500, maxDelayMs: 30_000, resetAfterMs: 60_000 };

export interface StopOptions {
  /** The first signal; default SIGTERM. */
  signal?: 'SIGTERM' | 'SIGKILL' | 'SIGINT';
  /** How long to wait before SIGKILL; default 5000. */
  timeoutMs?: number;
}

export interface StartAllOptions {
  /** Gets lines like "✔ reviews-v1 ready (0.4 s)"; default: the Supervisor's log. */
  onProgress?: (line: string) => void;
}

/** Stages run one after the other; the specs of an array stage start in parallel. */
export type StartPlan = ReadonlyArray<ProcessSpec | readonly ProcessSpec[]>;

export interface SupervisorEvents {
  output: [proc: ManagedProcess, line: string, stream: OutputStream];
  ready: [proc: ManagedProcess];
  exit: [proc: ManagedProcess, status: ExitStatus];
  'unexpected-exit': [proc: ManagedProcess, status: ExitStatus];
}

const DEFAULT_STOP_TIMEOUT_MS = 5_000;
const EXIT_REPORT_LINES = 20;

/**
 * Starts child processes, waits until they are ready, reports when one dies, and stops them
 * (SIGTERM, then SIGKILL). Whatever way this process ends, its children do not outlive it:
 * they get SIGKILL from a synchronous 'exit' handler, and children that call childLifecycle()
 * also exit when the IPC channel to this process closes (which covers SIGKILL of the parent).
 */
export class Supervisor extends EventEmitter<SupervisorEvents> {
  readonly #processes = new Map<string, ManagedProcess>();
  /** Names in order of first start; a restart keeps its place so stopAll stays in dependency order. */
  readonly #order: string[] = [];
  readonly #captured = new RingBuffer<string>(2_000);
  readonly #live = new Set<ManagedProcess>();
  readonly #log: (line: string) => void;
  readonly #prefixOutput: boolean;
  readonly #quiet: boolean;
  readonly #color: boolean;
  readonly #outputLines: number;
  readonly #restart: RestartPolicy | undefined;
  /** Crashes in a row per name, and the timers of restarts that are due. */
  readonly #crashes = new Map<string, number>();
  readonly #restartTimers = new Map<string, NodeJS.Timeout>();
  #nameWidth = 0;
  /** Bumped by stopAll so a startAll in progress does not start its next stage. */
  #generation = 0;

  constructor(options: SupervisorOptions = {}) {
    super();
    this.#log = options.log ?? ((line) => process.stdout.write(`${line}\n`));
    this.#prefixOutput = options.prefixOutput ?? false;
    this.#quiet = options.quiet ?? false;
    this.#color = !this.#quiet && (options.color ?? shouldUseColor());
    this.#outputLines = options.outputLines ?? 200;
    this.#restart = options.restartOnExit;
    if (options.onUnexpectedExit) this.on('unexpected-exit', options.onUnexpectedExit);
    if (this.#restart) this.on('unexpected-exit', (proc) => this.#scheduleRestart(proc.spec, proc.startedAt));
  }

  /** Spawns the process and resolves once it is ready. On failure the child is stopped first. */
  async start(spec: ProcessSpec): Promise<ManagedProcess> {
    validateSpec(spec);
    const existing = this.#processes.get(spec.name);
    if (existing?.running) {
      throw new Error(`${spec.name} is already running (pid ${existing.pid}); stop it first or call restart('${spec.name}').`);
    }
    this.#widenNames([spec.name]);

    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      // fd 3 is the IPC channel: children learn that we died when it disconnects.
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // Own process group: a Ctrl-C in the terminal reaches only us, so we stop the children
      // in order, and a stop signal reaches everything the child itself started.
      detached: process.platform !== 'win32',
    });
    if (child.pid === undefined) {
      const [error] = (await once(child, 'error')) as [Error];
      throw new ProcessStartError(
        spec.name,
        'spawn-failed',
        `could not be started: ${error.message}`,
        [],
        `Check that the command exists and is executable: ${commandLine(spec)}${spec.cwd ? ` (in ${spec.cwd})` : ''}`,
        { code: null, signal: null, error },
      );
    }

    const proc = new ManagedProcess(spec, child, this.#outputLines);
    this.#processes.set(spec.name, proc);
    if (!this.#order.includes(spec.name)) this.#order.push(spec.name);
    this.#track(proc);
    proc.onOutput((line, stream) => {
      this.#write(this.#formatChildLine(proc.name, line), this.#formatChildLine(proc.name, line, true));
      this.emit('output', proc, line, stream);
    });
    void proc.exited.then((status) => this.#onExit(proc, status));

    try {
      await waitUntilReady(proc, spec.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
    } catch (error) {
      if (proc.running) await this.#stopProcess(proc, { timeoutMs: 2_000 });
      throw error;
    }
    proc.markReady();
    this.emit('ready', proc);
    return proc;
  }

  /**
   * Starts stage after stage; each stage waits until every process of the previous one is
   * ready. Rejects with the first failure once its stage has settled, leaving the processes that
   * did start running: call stopAll() to clean up. One start runs at a time on a machine
   * (start-lock.ts).
   */
  startAll(plan: StartPlan, options: StartAllOptions = {}): Promise<ManagedProcess[]> {
    const progress = options.onProgress ?? ((line: string) => this.print(line));
    return withStartLock(() => this.#startAll(plan, options), {
      onWait: (holder) => progress(`… waiting for another Skiff start on this machine to finish (pid ${holder})`),
      onGiveUp: (holder, waitedMs) => progress(`… pid ${holder} has been starting a mesh for ${Math.round(waitedMs / 1000)} s; starting anyway`),
    });
  }

  async #startAll(plan: StartPlan, options: StartAllOptions): Promise<ManagedProcess[]> {
    const stages = plan.map((stage) => (Array.isArray(stage) ? [...stage] : [stage as ProcessSpec]));
    const names = stages.flat().map((spec) => spec.name);
    const duplicate = names.find((name, i) => names.indexOf(name) !== i);
    if (duplicate !== undefined) throw new Error(`startAll: the name "${duplicate}" appears twice in the plan; names must be unique.`);
    this.#widenNames(names);
    const progress = options.onProgress ?? ((line: string) => this.print(line));
    const generation = this.#generation;
    const started: ManagedProcess[] = [];

    for (const stage of stages) {
      if (this.#generation !== generation) {
        throw new Error(`startAll was interrupted by stopAll; ${stage.map((s) => s.name).join(', ')} and later stages were not started.`);
      }
      const results = await Promise.allSettled(
        stage.map(async (spec) => {
          try {
            const proc = await this.start(spec);
            progress(`✔ ${spec.name} ready (${formatSeconds(proc.readyAfterMs ?? 0)})`);
            return proc;
          } catch (error) {
            const summary = error instanceof ProcessStartError ? error.summary : String(error);
            progress(`✖ ${spec.name} ${summary}`);
            throw error;
          }
        }),
      );
      for (const result of results) if (result.status === 'fulfilled') started.push(result.value);
      const failure = results.find((result) => result.status === 'rejected');
      if (failure) throw failure.reason;
    }
    return started;
  }

  /** Sends SIGTERM (or `signal`), then SIGKILL after `timeoutMs`; resolves once it has exited. */
  async stop(name: string, options: StopOptions = {}): Promise<ExitStatus> {
    return this.#stopProcess(this.#require(name), options);
  }

  /** Stops every process, one at a time, in reverse order of first start. */
  async stopAll(options: StopOptions = {}): Promise<void> {
    this.#generation++;
    for (const timer of this.#restartTimers.values()) clearTimeout(timer);
    this.#restartTimers.clear();
    for (const name of [...this.#order].reverse()) {
      const proc = this.#processes.get(name);
      if (proc?.running) await this.#stopProcess(proc, options);
    }
  }

  /** Stops the process and starts it again from the same spec. */
  async restart(name: string, options: StopOptions = {}): Promise<ManagedProcess> {
    const proc = this.#require(name);
    await this.#stopProcess(proc, options);
    return this.start(proc.spec);
  }

  /** The latest process started under this name (it may have exited: see `running`). */
  get(name: string): ManagedProcess | undefined {
    return this.#processes.get(name);
  }

  /** The latest process of each name, in order of first start. */
  list(): ManagedProcess[] {
    return this.#order.flatMap((name) => this.#processes.get(name) ?? []);
  }

  /** Synchronously signals every live child (default SIGKILL). Returns how many were signalled. */
  killAllNow(signal: NodeJS.Signals = 'SIGKILL'): number {
    let count = 0;
    for (const proc of this.#live) {
      proc.markStopRequested();
      if (proc.kill(signal)) count++;
    }
    return count;
  }

  /** Registers a handler for a child that exits after it was ready without being asked to. */
  onUnexpectedExit(handler: UnexpectedExitHandler): () => void {
    this.on('unexpected-exit', handler);
    return () => this.off('unexpected-exit', handler);
  }

  /** With `quiet`: everything that would have been printed, oldest first. */
  captured(): string[] {
    return this.#captured.toArray();
  }

  /** Prints a line of the Supervisor's own (or captures it when quiet). */
  print(line: string): void {
    this.#write(line, line);
  }

  #scheduleRestart(spec: ProcessSpec, startedAt: number): void {
    const policy = this.#restart as RestartPolicy;
    const generation = this.#generation;
    const crashes = Date.now() - startedAt >= policy.resetAfterMs ? 1 : (this.#crashes.get(spec.name) ?? 0) + 1;
    this.#crashes.set(spec.name, crashes);
    const delay = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (crashes - 1));
    this.print(`↻ restarting ${spec.name} in ${formatSeconds(delay)} (restart ${crashes} in a row)`);
    clearTimeout(this.#restartTimers.get(spec.name));
    this.#restartTimers.set(
      spec.name,
      setTimeout(() => {
        this.#restartTimers.delete(spec.name);
        if (this.#generation !== generation || this.#processes.get(spec.name)?.running) return;
        const attemptAt = Date.now();
        this.start(spec).then(
          (proc) => this.print(`✔ ${spec.name} restarted, ready in ${formatSeconds(proc.readyAfterMs ?? 0)}`),
          (error: unknown) => {
            if (this.#generation !== generation) return;
            this.print(`✖ ${spec.name} did not come back: ${error instanceof ProcessStartError ? error.summary : String(error)}`);
            this.#scheduleRestart(spec, attemptAt);
          },
        );
      }, delay),
    );
  }

  async #stopProcess(proc: ManagedProcess, { signal = 'SIGTERM', timeoutMs = DEFAULT_STOP_TIMEOUT_MS }: StopOptions): Promise<ExitStatus> {
    if (!proc.running) return proc.exited;
    proc.markStopRequested();
    proc.kill(signal);
    if (signal === 'SIGKILL') return proc.exited;
    const timer = new AbortController();
    const timedOut = await Promise.race([
      proc.exited.then(() => false),
      delay(timeoutMs, true, { signal: timer.signal }).catch(() => false),
    ]);
    timer.abort();
    if (timedOut && proc.running) {
      this.print(`! ${proc.name} did not stop within ${formatSeconds(timeoutMs)} of ${signal}; sending SIGKILL`);
      proc.kill('SIGKILL');
    }
    return proc.exited;
  }

  #onExit(proc: ManagedProcess, status: ExitStatus): void {
    this.#untrack(proc);
    this.emit('exit', proc, status);
    // Before it was ready, start() reports the failure; after a stop request, the exit is wanted.
    if (proc.stopRequested || proc.readyAfterMs === undefined) return;
    this.print(`✖ ${proc.name} ${describeExit(status)}; its last lines:\n${indentLines(proc.output(EXIT_REPORT_LINES))}`);
    this.emit('unexpected-exit', proc, status);
  }

  // The 'exit' handler is installed only while children live, so idle Supervisors leave no trace.
  readonly #killOnExit = (): void => {
    this.killAllNow('SIGKILL');
  };

  #track(proc: ManagedProcess): void {
    if (this.#live.size === 0) process.on('exit', this.#killOnExit);
    this.#live.add(proc);
  }

  #untrack(proc: ManagedProcess): void {
    this.#live.delete(proc);
    if (this.#live.size === 0) process.off('exit', this.#killOnExit);
  }

  #require(name: string): ManagedProcess {
    const proc = this.#processes.get(name);
    if (!proc) {
      const known = [...this.#processes.keys()];
      throw new Error(`No process named "${name}" was started by this Supervisor; known: ${known.length ? known.join(', ') : '(none)'}.`);
    }
    return proc;
  }

  #widenNames(names: readonly string[]): void {
    for (const name of names) this.#nameWidth = Math.max(this.#nameWidth, name.length);
  }

  #formatChildLine(name: string, line: string, plain = false): string {
    if (plain) return `${name} │ ${line}`;
    return this.#prefixOutput ? `${formatPrefix(name, this.#nameWidth, this.#color)}${line}` : line;
  }

  #write(printed: string, capturedForm: string): void {
    if (this.#quiet) for (const line of capturedForm.split('\n')) this.#captured.push(line);
    else this.#log(printed);
  }
}

function validateSpec(spec: ProcessSpec): void {
  if (!spec.name || /\s/.test(spec.name)) throw new Error(`ProcessSpec.name must be a non-empty word without spaces, got ${JSON.stringify(spec.name)}.`);
  if (!spec.command) throw new Error(`ProcessSpec "${spec.name}" has no command; use process.execPath to run a Node script.`);
  if (spec.ready && 'url' in spec.ready) {
    let url: URL;
    try {
      url = new URL(spec.ready.url);
    } catch {
      throw new Error(`ProcessSpec "${spec.name}": ready.url ${JSON.stringify(spec.ready.url)} is not a URL; use e.g. http://127.0.0.1:15000/ready.`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`ProcessSpec "${spec.name}": ready.url must be http(s), got ${url.protocol}`);
    }
  }
}
