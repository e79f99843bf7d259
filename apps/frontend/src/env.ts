// Reading the environment into typed settings, with errors that say which variable is wrong
// and what to put there. (The same file lives in frontend, reviews and ratings.)

export type Env = Readonly<Record<string, string | undefined>>;

export function readPort(env: Env, fallback: number): number {
  const raw = env.PORT;
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) throw new Error(`PORT must be a TCP port number 0-65535 (0 picks a free one), got "${raw}"`);
  return port;
}

export function readHost(env: Env): string {
  return env.HOST || '127.0.0.1';
}

/** A number in [min, max] from the variable `name`, or `fallback` when it is unset. */
export function readNumber(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) throw new Error(`${name} must be a number from ${min} to ${max}, got "${raw}"`);
  return value;
}

/** An http:// base URL such as `http://reviews:9080`, without a trailing slash. */
export function readHttpUrl(env: Env, name: string, fallback?: string): string | undefined {
  const raw = env[name] || fallback;
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${name} must be a URL like http://reviews:9080, got "${raw}"`);
  }
  if (url.protocol !== 'http:') throw new Error(`${name} must be an http:// URL (the sidecar adds TLS), got "${raw}"`);
  return raw.replace(/\/+$/, '');
}
