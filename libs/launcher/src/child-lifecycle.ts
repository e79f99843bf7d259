export interface ChildLifecycleOptions {
  /** Closes servers and flushes what must be flushed; runs once, on SIGTERM or SIGINT. */
  close?: () => void | Promise<void>;
  /** How long close may take before the process exits anyway; default 5000. */
  deadlineMs?: number;
  /** Where to say why the process is exiting; default stderr. */
  log?: (line: string) => void;
}

export interface ChildLifecycle {
  /** Runs close (once) and exits: 0 if it finished in time, 1 otherwise. */
  shutdown(reason: string): Promise<void>;
  /** Removes the handlers (for tests). */
  dispose(): void;
}

/**
 * For the main() of a process started by the Supervisor (control plane, proxy, sample apps).
 *
 * - The IPC channel to the parent disconnects when the parent dies, even by SIGKILL, which no
 *   handler of the parent can catch: then exit at once, so no orphan holds a port.
 * - SIGTERM / SIGINT: run `close` with a deadline, then exit. A second signal exits at once.
 *
 * Without an IPC channel (started by hand, in a container) only the signal handling applies.
 */
export function childLifecycle(options: ChildLifecycleOptions = {}): ChildLifecycle {
  const deadlineMs = options.deadlineMs ?? 5_000;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let closing: Promise<void> | undefined;

  const shutdown = (reason: string): Promise<void> => {
    closing ??= (async () => {
      const deadline = setTimeout(() => {
        log(`${reason}: close did not finish within ${deadlineMs} ms; exiting anyway`);
        process.exit(1);
      }, deadlineMs);
      try {
        await options.close?.();
        clearTimeout(deadline);
        process.exit(0);
      } catch (error) {
        clearTimeout(deadline);
        log(`${reason}: close failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        process.exit(1);
      }
    })();
    return closing;
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) {
      log(`${signal} again while closing: exiting now`);
      process.exit(1);
    }
    void shutdown(`received ${signal}`);
  };
  // Nothing to log: the parent that would read our output is gone, and writing to its closed
  // pipe would only fail.
  const onDisconnect = (): void => process.exit(0);

  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  if (process.send !== undefined) {
    // The parent may already have died while this process was loading.
    if (!process.connected) process.exit(0);
    process.on('disconnect', onDisconnect);
    // Listening must not keep a finished child alive just for the channel.
    process.channel?.unref();
  }

  return {
    shutdown,
    dispose() {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      process.off('disconnect', onDisconnect);
    },
  };
}
