// The request `skiff simulate` is asked about, from its command line: the method and URL as
// @skiff/meshtest reads them (as the sidecar reads an absolute-form request), and curl-style
// -H headers. Mistakes are UsageErrors (exit 2).
import { parseRequest, TOKEN, type SimulatedRequest } from '@skiff/meshtest';
import { UsageError } from '../usage-error.js';

export type { SimulatedRequest };

export function parseSimulatedRequest(method: string, url: string, headerArgs: readonly string[]): SimulatedRequest {
  const headers = parseHeaders(headerArgs);
  try {
    return parseRequest(method, url, headers);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** `-H 'name: value'` arguments, as curl takes them. */
export function parseHeaders(args: readonly string[]): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const arg of args) {
    const colon = arg.indexOf(':');
    const name = colon < 0 ? '' : arg.slice(0, colon).trim().toLowerCase();
    if (colon <= 0 || !TOKEN.test(name)) throw new UsageError(`bad header "${arg}": write it as -H 'name: value', e.g. -H 'end-user: jason'`);
    const value = arg.slice(colon + 1).trim();
    const previous = headers[name];
    headers[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return headers;
}
