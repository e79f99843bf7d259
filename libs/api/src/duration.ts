// Istio durations as written in YAML: Go-style "1.5s", "100ms", "2m", "1h", "1h30m".
// Pure parsing only; the schemas use isDuration, the control plane parseDuration.

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

// One or more <number><unit> parts, e.g. "1h30m" or "0.5s". No sign: Istio durations are never negative.
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;

/** Human hint used in every duration error message. */
export const DURATION_HINT = 'a duration such as "1.5s", "100ms", "2m" or "1h"';

/** Parses an Istio/Go duration into milliseconds (may be fractional below 1 ms). Throws on bad input. */
export function parseDuration(s: string): number {
  const ms = tryParseDuration(s);
  if (ms === undefined) throw new Error(`invalid duration ${JSON.stringify(s)}: expected ${DURATION_HINT}`);
  return ms;
}

/** True when `s` is a string parseDuration accepts. */
export function isDuration(s: unknown): s is string {
  return typeof s === 'string' && tryParseDuration(s) !== undefined;
}

function tryParseDuration(s: string): number | undefined {
  if (s.length === 0) return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const start = PART.lastIndex;
    const m = PART.exec(s);
    if (m === null || m.index !== start) return undefined;
    const value = Number(m[1]);
    const unit = UNIT_MS[m[2] as string];
    if (!Number.isFinite(value) || unit === undefined) return undefined;
    total += value * unit;
  }
  return Number.isFinite(total) ? total : undefined;
}
