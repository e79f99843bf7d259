// IP addresses and CIDR blocks for AuthorizationPolicy's ipBlocks and source.ip, parsed the way
// Go's net/netip does for Istio (no zones, no leading zeros in IPv4). Written here because pure
// libraries may not import node:net. IPv4-mapped IPv6 addresses (::ffff:10.0.0.1, what a
// dual-stack socket reports for an IPv4 peer) are read as the IPv4 address they carry.

export interface IpAddress {
  version: 4 | 6;
  /** The address as an unsigned integer of 32 or 128 bits. */
  value: bigint;
}

export interface IpBlock {
  version: 4 | 6;
  /** The first address of the block (host bits cleared). */
  network: bigint;
  prefixLength: number;
}

const IPV4_PART = /^(0|[1-9][0-9]{0,2})$/;

function parseIpv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!IPV4_PART.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseHextets(s: string): number[] | undefined {
  if (s === '') return [];
  const out: number[] = [];
  for (const group of s.split(':')) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    out.push(parseInt(group, 16));
  }
  return out;
}

function parseIpv6(s: string): bigint | undefined {
  let text = s;
  let tail: number[] = [];
  // An embedded IPv4 address may end the address ("::ffff:10.0.0.1"): it fills the last two groups.
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    const v4 = parseIpv4(last);
    if (v4 === undefined) return undefined;
    tail = [Number(v4 >> 16n), Number(v4 & 0xffffn)];
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const head = parseHextets(halves[0] as string);
    const rest = parseHextets(halves[1] as string);
    if (!head || !rest) return undefined;
    const missing = 8 - head.length - rest.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...new Array<number>(missing).fill(0), ...rest, ...tail];
  } else {
    const all = parseHextets(text);
    if (!all) return undefined;
    groups = [...all, ...tail];
  }
  if (groups.length !== 8) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

const V4_MAPPED_PREFIX = 0xffffn << 32n;

/** Parses "10.1.2.3", "::1", "2001:db8::7" or "::ffff:10.0.0.1"; undefined when it is not an address. */
export function parseIpAddress(s: string): IpAddress | undefined {
  if (s.includes(':')) {
    const v6 = parseIpv6(s);
    if (v6 === undefined) return undefined;
    if (v6 >> 32n === V4_MAPPED_PREFIX >> 32n) return { version: 4, value: v6 & 0xffffffffn };
    return { version: 6, value: v6 };
  }
  const v4 = parseIpv4(s);
  return v4 === undefined ? undefined : { version: 4, value: v4 };
}

/** Parses "10.0.0.0/16" or a single address (a block of one); undefined when invalid. */
export function parseIpBlock(s: string): IpBlock | undefined {
  const slash = s.indexOf('/');
  const addr = parseIpAddress(slash < 0 ? s : s.slice(0, slash));
  if (!addr) return undefined;
  const bits = addr.version === 4 ? 32 : 128;
  let prefixLength = bits;
  if (slash >= 0) {
    const lenText = s.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(lenText)) return undefined;
    prefixLength = Number(lenText);
    // A mapped IPv6 block ("::ffff:10.0.0.0/104") counts its length over 128 bits.
    if (s.slice(0, slash).includes(':') && addr.version === 4) prefixLength -= 96;
    if (prefixLength < 0 || prefixLength > bits) return undefined;
  }
  return { version: addr.version, network: maskOf(addr.value, prefixLength, bits), prefixLength };
}

function maskOf(value: bigint, prefixLength: number, bits: number): bigint {
  const hostBits = BigInt(bits - prefixLength);
  return (value >> hostBits) << hostBits;
}

/** Why `s` is not an IP address or CIDR block, or undefined. */
export function ipBlockProblem(s: string): string | undefined {
  if (parseIpBlock(s) !== undefined) return undefined;
  return s.includes('/') ? `bad CIDR range ${JSON.stringify(s)}: write an address and a prefix length, as in "10.0.0.0/16"` : `bad IP address ${JSON.stringify(s)}`;
}

export function ipInBlock(ip: IpAddress, block: IpBlock): boolean {
  if (ip.version !== block.version) return false;
  const bits = ip.version === 4 ? 32 : 128;
  return maskOf(ip.value, block.prefixLength, bits) === block.network;
}
