import type { Supervisor } from './supervisor.js';

export interface SignalHandlerOptions {
  /** Runs after every child has stopped, before the process exits. */
  onShutdown?: (signal: NodeJS.Signals) => void | Promise<void>;
  /** Default: SIGINT, SIGTERM and SIGHUP (the terminal closed). */
  signals?: NodeJS.Signals[];
  /** Per-process stop timeout before SIGKILL; default 5000. */
  stopTimeoutMs?: number;
  /** Default process.exit; tests replace it. */
  exit?: (code: number) => void;
}

/**
 * First SIGINT/SIGTERM: print "stopping…", stop every child in reverse start order, run
 * onShutdown, exit 0. A second signal while that runs (an impatient Ctrl-C): SIGKILL every
 * child at once and exit 1. Returns a function that removes the handlers.
 */
export function installSignalHandlers(supervisor: Supervisor, options: SignalHandlerOptions = {}): () => void {
  const signals = options.signals ?? ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping = false;

  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) {
      const killed = supervisor.killAllNow('SIGKILL');
      supervisor.print(`✖ ${signal} again: killed ${killed} process${killed === 1 ? '' : 'es'} with SIGKILL`);
      exit(1);
      return;
    }
    stopping = true;
    supervisor.print(`stopping… (${signal}; press Ctrl-C again to kill everything at once)`);
    void (async () => {
      try {
        await supervisor.stopAll(options.stopTimeoutMs === undefined ? {} : { timeoutMs: options.stopTimeoutMs });
        await options.onShutdown?.(signal);
        exit(0);
      } catch (error) {
        supervisor.print(`✖ shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        supervisor.killAllNow('SIGKILL');
        exit(1);
      }
    })();
  };

  for (const signal of signals) process.on(signal, handler);
  return () => {
    for (const signal of signals) process.off(signal, handler);
  };
}
