// Virtual host selection by Host/:authority, in Envoy's order: exact domain, then the longest
// suffix wildcard ("*.foo.com"), then the longest prefix wildcard ("foo.*"), then "*".
// Matching ignores case. The full authority ("reviews:9080") is tried first, then the host
// without its port ("reviews"), and "*" only after both, so a specific domain always beats
// the catch-all. Wildcards are bucketed by length, so a lookup costs a few map probes per
// distinct wildcard length rather than a scan over every domain.

export type DomainKind = 'exact' | 'suffix' | 'prefix' | 'any';

export interface DomainHit<V> {
  readonly value: V;
  /** The domain as configured, e.g. "*.example.com". */
  readonly domain: string;
  readonly kind: DomainKind;
  /** True when it matched the host with the port removed, not the full authority. */
  readonly portIgnored: boolean;
  /** e.g. `virtual host "reviews" (domain "reviews:9080")`, `... (wildcard domain "*.foo.com", port ignored)`. */
  readonly description: string;
}

/** Both possible hits for a domain, built once so a lookup allocates nothing. */
interface Entry<V> {
  full: DomainHit<V>;
  stripped: DomainHit<V>;
}

/** Wildcard patterns grouped by length, longest first, so longer (more specific) ones win. */
type Buckets<V> = Array<[length: number, byPattern: Map<string, Entry<V>>]>;

export class DomainIndex<V> {
  readonly #exact = new Map<string, Entry<V>>();
  readonly #suffix: Buckets<V>;
  readonly #prefix: Buckets<V>;
  readonly #any: Entry<V> | undefined;
  /** Problems that do not stop the config from working, for logs and `skiff analyze`. */
  readonly warnings: readonly string[];

  /** Entries in config order; when two claim the same domain the first keeps it (Envoy would reject the config). */
  constructor(entries: Iterable<{ domain: string; value: V; owner: string }>) {
    const warnings: string[] = [];
    const suffix = new Map<number, Map<string, Entry<V>>>();
    const prefix = new Map<number, Map<string, Entry<V>>>();
    const owners = new Map<string, string>();
    let any: Entry<V> | undefined;
    for (const { domain, value, owner } of entries) {
      const d = domain.toLowerCase();
      const seen = owners.get(d);
      if (seen !== undefined) {
        warnings.push(`domain ${JSON.stringify(domain)} of ${owner} is already claimed by ${seen}; ${seen} keeps it`);
        continue;
      }
      owners.set(d, owner);
      if (d === '*') {
        any = entry(value, domain, 'any', owner);
        continue;
      }
      const kind: DomainKind = d.startsWith('*') ? 'suffix' : d.endsWith('*') ? 'prefix' : 'exact';
      const pattern = kind === 'suffix' ? d.slice(1) : kind === 'prefix' ? d.slice(0, -1) : d;
      if (pattern.includes('*')) {
        warnings.push(`domain ${JSON.stringify(domain)} of ${owner} has "*" in the middle; only a leading or trailing "*" is a wildcard, so the rest is matched literally`);
      }
      const e = entry(value, domain, kind, owner);
      if (kind === 'exact') this.#exact.set(pattern, e);
      else addToBucket(kind === 'suffix' ? suffix : prefix, pattern, e);
    }
    this.#suffix = sortBuckets(suffix);
    this.#prefix = sortBuckets(prefix);
    this.#any = any;
    this.warnings = warnings;
  }

  lookup(authority: string): DomainHit<V> | undefined {
    const full = authority.toLowerCase();
    const hit = this.#specific(full);
    if (hit) return hit.full;
    const host = stripPort(full);
    if (host !== undefined) {
      const byHost = this.#specific(host);
      if (byHost) return byHost.stripped;
    }
    return this.#any?.full;
  }

  #specific(name: string): Entry<V> | undefined {
    const exact = this.#exact.get(name);
    if (exact) return exact;
    // A wildcard must stand for at least one character: "*.foo.com" does not match ".foo.com".
    for (const [length, byPattern] of this.#suffix) {
      if (name.length <= length) continue;
      const e = byPattern.get(name.slice(name.length - length));
      if (e) return e;
    }
    for (const [length, byPattern] of this.#prefix) {
      if (name.length <= length) continue;
      const e = byPattern.get(name.slice(0, length));
      if (e) return e;
    }
    return undefined;
  }
}

const KIND_WORD: Record<DomainKind, string> = { exact: 'domain', suffix: 'wildcard domain', prefix: 'wildcard domain', any: 'catch-all domain' };

function entry<V>(value: V, domain: string, kind: DomainKind, owner: string): Entry<V> {
  const described = `${owner} (${KIND_WORD[kind]} ${JSON.stringify(domain)}`;
  return {
    full: { value, domain, kind, portIgnored: false, description: `${described})` },
    stripped: { value, domain, kind, portIgnored: true, description: `${described}, port ignored)` },
  };
}

function addToBucket<V>(buckets: Map<number, Map<string, Entry<V>>>, pattern: string, entry: Entry<V>): void {
  let byPattern = buckets.get(pattern.length);
  if (!byPattern) buckets.set(pattern.length, (byPattern = new Map()));
  byPattern.set(pattern, entry);
}

function sortBuckets<V>(buckets: Map<number, Map<string, Entry<V>>>): Buckets<V> {
  return [...buckets.entries()].sort((a, b) => b[0] - a[0]);
}

/**
 * The host without its port, or undefined when the authority has no port.
 * Handles IPv6 literals ("[::1]:8080" -> "[::1]"); a bare "::1" is left alone.
 */
export function stripPort(authority: string): string | undefined {
  const colon = authority.lastIndexOf(':');
  if (colon < 0 || colon === authority.length - 1) return undefined;
  if (authority.startsWith('[')) {
    if (authority[colon - 1] !== ']') return undefined;
  } else if (authority.indexOf(':') !== colon) {
    return undefined;
  }
  for (let i = colon + 1; i < authority.length; i++) {
    const c = authority.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return authority.slice(0, colon);
}
