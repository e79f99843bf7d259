// Header fields as the codec gives them: one flat list [name, value, name, value, …] with
// lowercased names. Small helpers for the few edits a forwarder makes to it.

import { isContinueExpectation, isHopByHop } from '../core/hop-by-hop.js';

/**
 * The list without hop-by-hop fields (core/hop-by-hop.ts), those named in Connection,
 * `expect: 100-continue`, or Content-Length: the codec writes the framing itself for each side.
 */
export function endToEnd(fields: readonly string[]): string[] {
  let named: string[] | undefined;
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] === 'connection') named = [...(named ?? []), ...(fields[i + 1] as string).toLowerCase().split(',').map((t) => t.trim())];
  }
  const out: string[] = [];
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i] as string;
    if (name === 'content-length' || isHopByHop(name) || (named !== undefined && named.includes(name))) continue;
    if (isContinueExpectation(name, fields[i + 1] as string)) continue;
    out.push(name, fields[i + 1] as string);
  }
  return out;
}

/** The first value of `name` in the list, or undefined. */
export function fieldValue(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/**
 * The list as a record, the shape node:http gives (`IncomingHttpHeaders`): repeated fields joined
 * with ", " (set-cookie kept as a list), for the filters that read headers by name.
 */
export function recordOf(fields: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i] as string;
    const value = fields[i + 1] as string;
    const seen = out[name];
    if (seen === undefined) out[name] = name === 'set-cookie' ? [value] : value;
    else if (Array.isArray(seen)) seen.push(value);
    else out[name] = `${seen}, ${value}`;
  }
  return out;
}

/** A record back to a list, for the codec to write. */
export function listOf(record: Record<string, string | string[] | number | undefined>): string[] {
  const out: string[] = [];
  for (const name in record) {
    const value = record[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.push(name, v);
    else out.push(name, String(value));
  }
  return out;
}
