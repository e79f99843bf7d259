// Code-unit ordering, never localeCompare: output must be byte-identical on every machine,
// whatever its locale.

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Compares tuples element by element; numbers numerically, strings by code unit. */
export function compareKeys(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] as string | number;
    const y = b[i] as string | number;
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : compareStrings(String(x), String(y));
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** A copy of a string map with its keys sorted, so JSON output does not depend on input order. */
export function sortedRecord<V>(record: Record<string, V> | undefined): Record<string, V> {
  const out: Record<string, V> = {};
  if (!record) return out;
  for (const key of Object.keys(record).sort(compareStrings)) out[key] = record[key] as V;
  return out;
}
