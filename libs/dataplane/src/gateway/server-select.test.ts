import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostMatchRank, matchServer, selectTlsServer } from './server-select.js';

const server = (name: string, hosts: string[]) => ({ name, hosts });

describe('Gateway server selection by name (Envoy filter chain order)', () => {
  const servers = [server('wild', ['*.example.com']), server('deep', ['*.shop.example.com']), server('exact', ['ns/api.shop.example.com']), server('any', ['*'])];

  test('an exact name beats the longest wildcard, which beats a shorter one and the catch-all', () => {
    assert.equal(matchServer(servers, 'api.shop.example.com')?.name, 'exact');
    assert.equal(matchServer(servers, 'www.shop.example.com')?.name, 'deep');
    assert.equal(matchServer(servers, 'www.example.com')?.name, 'wild');
    assert.equal(matchServer(servers, 'a.b.example.com')?.name, 'wild', 'a wildcard spans several labels, as in Envoy');
    assert.equal(matchServer(servers, 'other.org')?.name, 'any');
    assert.equal(matchServer(servers, 'API.Shop.Example.com')?.name, 'exact', 'names compare case-insensitively');
  });

  test('a wildcard does not match its own suffix; namespaces in hosts are ignored', () => {
    assert.equal(hostMatchRank('*.example.com', 'example.com'), -1);
    assert.ok(hostMatchRank('./a.example.com', 'a.example.com') > hostMatchRank('*/*.example.com', 'a.example.com'));
    assert.equal(matchServer([server('w', ['*.example.com'])], 'example.com'), undefined);
  });

  test('no SNI: the catch-all server; no match for TLS falls back to the first server', () => {
    assert.equal(matchServer(servers, undefined)?.name, 'any');
    const named = [server('a', ['a.example.com']), server('b', ['b.example.com'])];
    assert.equal(matchServer(named, 'c.example.com'), undefined);
    assert.equal(selectTlsServer(named, 'c.example.com')?.name, 'a');
    assert.equal(selectTlsServer(named, undefined)?.name, 'a');
    assert.equal(selectTlsServer(named, 'b.example.com')?.name, 'b');
    assert.equal(selectTlsServer([], 'b.example.com'), undefined);
  });
});
