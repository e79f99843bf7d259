// Istio's Headers operations: set replaces, add appends, remove deletes. Header names are
// case-insensitive, so they are lower-cased like node's incoming headers.
/** Header name (lower-case) -> value(s), as node's incoming headers. */
export type HeaderMap = Record<string, string | string[]>;

export interface HeaderOperations {
  set?: Record<string, string>;
  add?: Record<string, string>;
  remove?: string[];
}

export function applyHeaderOperations(headers: HeaderMap, ops: HeaderOperations | undefined): void {
  if (!ops) return;
  if (ops.remove) for (const name of ops.remove) delete headers[name.toLowerCase()];
  if (ops.set) for (const name in ops.set) headers[name.toLowerCase()] = ops.set[name] as string;
  if (ops.add) {
    for (const name in ops.add) {
      const key = name.toLowerCase();
      const value = ops.add[name] as string;
      const existing = headers[key];
      headers[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
    }
  }
}
