// Reads what Debian's wrk prints (with --latency) into numbers.

export interface WrkResult {
  requestsPerSecond: number;
  requests: number;
  /** Socket errors plus non-2xx/3xx responses. */
  errors: number;
  latencyMs: { p50: number; p75: number; p90: number; p99: number };
}

const UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

export function durationMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) throw new Error(`not a wrk duration: "${text}"`);
  return Math.round(Number(m[1]) * (UNITS[m[2] as string] as number) * 1e6) / 1e6;
}

export function parseWrkOutput(output: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const total = /(\d+) requests in/.exec(output);
  if (!rps || !total) throw new Error(`wrk printed no summary:\n${output.slice(0, 500)}`);
  const latency = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(output);
    if (!m) throw new Error(`wrk printed no ${p}% latency (run it with --latency)`);
    return durationMs(m[1] as string);
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return {
    requestsPerSecond: Number(rps[1]),
    requests: Number(total[1]),
    errors: socketErrors + (non2xx ? Number(non2xx[1]) : 0),
    latencyMs: { p50: latency('50'), p75: latency('75'), p90: latency('90'), p99: latency('99') },
  };
}
