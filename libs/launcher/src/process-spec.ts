/** How to know that a started process is ready to serve. */
export type Readiness =
  /** Poll this URL every 100 ms until it answers HTTP 200. */
  | { url: string }
  /** Wait until a line of the child's stdout or stderr matches. */
  | { logLine: RegExp }
  /** Poll every 100 ms until a TCP connect to host:port succeeds (an app that speaks anything). */
  | { tcp: { host: string; port: number } };

/** One child process the Supervisor starts, watches and stops. */
export interface ProcessSpec {
  /** Unique among the processes of one Supervisor; used in logs, `get`, `stop` and `restart`. */
  name: string;
  /** Usually `process.execPath`. */
  command: string;
  /** E.g. `['--import', 'tsx', 'apps/proxy/src/main.ts', '--port', '15001']`. */
  args: string[];
  /** Added to (and overriding) the parent's environment. */
  env?: Record<string, string>;
  cwd?: string;
  /** Without it the process counts as ready as soon as it has been spawned. */
  ready?: Readiness;
  /** Default 20000. */
  readyTimeoutMs?: number;
}

/** How a child process ended. `error` is set when it could not be spawned at all. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

export const DEFAULT_READY_TIMEOUT_MS = 20_000;

/** "exited with code 1", "was killed by SIGKILL": for log lines and error messages. */
export function describeExit(status: ExitStatus): string {
  if (status.error) return `could not be started (${status.error.message})`;
  if (status.signal) return `was killed by ${status.signal}`;
  return `exited with code ${status.code ?? 'unknown'}`;
}

export function describeReadiness(ready: Readiness | undefined): string {
  if (ready === undefined) return 'the process to spawn';
  if ('url' in ready) return `HTTP 200 from ${ready.url}`;
  if ('tcp' in ready) return `a connection to ${ready.tcp.host}:${ready.tcp.port}`;
  return `a log line matching ${String(ready.logLine)}`;
}
