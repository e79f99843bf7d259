// A fast, non-cryptographic 32-bit string hash for the hash ring: FNV-1a over UTF-16 code units,
// then MurmurHash3's finaliser. FNV-1a's last character reaches the high bits only through one
// multiply; the finaliser makes every input bit affect every output bit, which matters for ring
// points named "<host>_0", "<host>_1", ... No allocation: it reads charCodeAt.
// (Envoy uses xxHash64; rings built here do not match Envoy's, which no test or user relies on.)

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a state after `s`, starting from `state` (so a shared prefix is hashed once). */
export function fnv1a(s: string, state: number = FNV_OFFSET): number {
  let h = state;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/** FNV-1a state after the decimal digits of a non-negative integer, without building a string. */
export function fnv1aDigits(n: number, state: number): number {
  let divisor = 1;
  while (divisor * 10 <= n) divisor *= 10;
  let h = state;
  for (; divisor >= 1; divisor = Math.floor(divisor / 10)) {
    h ^= 48 + (Math.floor(n / divisor) % 10);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/** MurmurHash3 fmix32: full avalanche of a 32-bit state. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Unsigned 32-bit hash of a string. */
export function hash32(s: string): number {
  return mix32(fnv1a(s));
}
