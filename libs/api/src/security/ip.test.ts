import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ipBlockProblem, ipInBlock, parseIpAddress, parseIpBlock, type IpAddress } from './ip.js';

const ip = (s: string): IpAddress => {
  const a = parseIpAddress(s);
  assert.ok(a, `expected ${s} to parse`);
  return a;
};
const inBlock = (address: string, block: string) => {
  const b = parseIpBlock(block);
  assert.ok(b, `expected ${block} to parse`);
  return ipInBlock(ip(address), b);
};

describe('IP addresses and blocks', () => {
  test('IPv4: four decimal parts 0..255, no leading zeros', () => {
    assert.deepEqual(parseIpAddress('10.1.2.3'), { version: 4, value: 0x0a010203n });
    assert.deepEqual(parseIpAddress('0.0.0.0'), { version: 4, value: 0n });
    for (const bad of ['10.1.2', '10.1.2.3.4', '256.1.1.1', '01.1.1.1', '1.1.1.-1', 'a.b.c.d', '', '1..1.1']) assert.equal(parseIpAddress(bad), undefined, bad);
  });

  test('IPv6: full, compressed, embedded IPv4; mapped IPv4 reads as IPv4', () => {
    assert.deepEqual(parseIpAddress('::1'), { version: 6, value: 1n });
    assert.deepEqual(parseIpAddress('::'), { version: 6, value: 0n });
    assert.deepEqual(parseIpAddress('2001:db8::7'), { version: 6, value: (0x2001n << 112n) | (0xdb8n << 96n) | 7n });
    assert.deepEqual(parseIpAddress('2001:0db8:0000:0000:0000:0000:0000:0007'), parseIpAddress('2001:db8::7'));
    assert.deepEqual(parseIpAddress('64:ff9b::10.0.0.1'), { version: 6, value: (0x64n << 112n) | (0xff9bn << 96n) | 0x0a000001n });
    assert.deepEqual(parseIpAddress('::ffff:10.0.0.1'), { version: 4, value: 0x0a000001n });
    assert.deepEqual(parseIpAddress('1:2:3:4:5:6:1.2.3.4'), { version: 6, value: (1n << 112n) | (2n << 96n) | (3n << 80n) | (4n << 64n) | (5n << 48n) | (6n << 32n) | 0x01020304n });
    for (const bad of ['1:2:3:4:5:6:7:8:9', '1::2::3', ':1::2', '1::2:', '12345::', 'g::1', '1:2:3:4:5:6:7', '::1.2.3', 'fe80::1%eth0']) assert.equal(parseIpAddress(bad), undefined, bad);
  });

  test('blocks: prefix length within the family; host bits are ignored', () => {
    assert.deepEqual(parseIpBlock('10.1.2.3/16'), { version: 4, network: 0x0a010000n, prefixLength: 16 });
    assert.deepEqual(parseIpBlock('10.1.2.3'), { version: 4, network: 0x0a010203n, prefixLength: 32 });
    for (const bad of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/08', '::/129', 'x/8']) assert.equal(parseIpBlock(bad), undefined, bad);
  });

  test('membership', () => {
    assert.equal(inBlock('10.1.200.3', '10.1.0.0/16'), true);
    assert.equal(inBlock('10.2.0.1', '10.1.0.0/16'), false);
    assert.equal(inBlock('10.1.2.3', '10.1.2.3'), true);
    assert.equal(inBlock('10.1.2.4', '10.1.2.3'), false);
    assert.equal(inBlock('1.2.3.4', '0.0.0.0/0'), true);
    assert.equal(inBlock('2001:db8::1', '2001:db8::/32'), true);
    assert.equal(inBlock('2001:db9::1', '2001:db8::/32'), false);
    assert.equal(inBlock('::ffff:10.1.2.3', '10.1.0.0/16'), true, 'a dual-stack socket reports IPv4 peers as mapped IPv6');
    assert.equal(inBlock('10.1.2.3', '::/0'), false, 'families do not mix');
  });

  test('problems say what is wrong', () => {
    assert.equal(ipBlockProblem('10.0.0.0/8'), undefined);
    assert.match(ipBlockProblem('10.0.0.0/40') ?? '', /bad CIDR range/);
    assert.match(ipBlockProblem('10.0.0') ?? '', /bad IP address/);
  });
});
