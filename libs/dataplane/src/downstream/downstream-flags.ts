// The data listeners' limits as flags, shared by the sidecar and the gateway commands.
import { parseDuration } from '@skiff/api';
import { DEFAULT_DOWNSTREAM_LIMITS, type DownstreamLimits } from './downstream-guard.js';

const seconds = (ms: number) => `${ms / 1000}s`;

export const DOWNSTREAM_HELP = `  --request-headers-timeout <dur>  time a client has for a request head, counted from connecting
                            (default: ${seconds(DEFAULT_DOWNSTREAM_LIMITS.requestHeadersTimeoutMs)}); slower clients are disconnected
  --idle-timeout <dur>      a client connection with no request in flight is closed after this
                            (default: ${seconds(DEFAULT_DOWNSTREAM_LIMITS.idleTimeoutMs)})
  --stream-idle-timeout <dur>  no byte either way during a request closes it (default: ${seconds(DEFAULT_DOWNSTREAM_LIMITS.streamIdleTimeoutMs)})
  --max-connections <n>     client connections per listener; at the limit the oldest idle one
                            makes room, and with none idle new ones are refused (default: ${DEFAULT_DOWNSTREAM_LIMITS.maxConnections})`;

export interface DownstreamFlagValues {
  requestHeadersTimeout?: string;
  idleTimeout?: string;
  streamIdleTimeout?: string;
  maxConnections?: string;
}

/** Flags (or SKIFF_* variables, already merged in by the caller) to limits; throws naming the flag. */
export function downstreamFromFlags(values: DownstreamFlagValues): Partial<DownstreamLimits> {
  const out: Partial<DownstreamLimits> = {};
  const duration = (flag: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    let ms: number;
    try {
      ms = parseDuration(value);
    } catch (error) {
      throw new Error(`--${flag}: ${error instanceof Error ? error.message : String(error)} (e.g. 10s, 5m)`);
    }
    if (ms < 100 || ms > 24 * 3600_000) throw new Error(`--${flag} must be between 100ms and 24h, got "${value}"`);
    return ms;
  };
  const headers = duration('request-headers-timeout', values.requestHeadersTimeout);
  const idle = duration('idle-timeout', values.idleTimeout);
  const stream = duration('stream-idle-timeout', values.streamIdleTimeout);
  if (headers !== undefined) out.requestHeadersTimeoutMs = headers;
  if (idle !== undefined) out.idleTimeoutMs = idle;
  if (stream !== undefined) out.streamIdleTimeoutMs = stream;
  if (values.maxConnections !== undefined) {
    const n = Number(values.maxConnections);
    if (!Number.isInteger(n) || n < 1 || n > 1_000_000) throw new Error(`--max-connections must be a whole number 1-1000000, got "${values.maxConnections}"`);
    out.maxConnections = n;
  }
  return out;
}
