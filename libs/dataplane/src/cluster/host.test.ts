import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Host, reconcileHosts } from './host.js';

const ep = (address: string, workload = 'w', labels: Record<string, string> = {}) => ({ address, port: 9080, workload, labels });

describe('Host', () => {
  test('key and origin, IPv6 in brackets', () => {
    const v4 = new Host(ep('10.0.0.7'));
    assert.equal(v4.key, '10.0.0.7:9080');
    assert.equal(v4.origin, 'http://10.0.0.7:9080');
    const v6 = new Host(ep('::1'));
    assert.equal(v6.key, '[::1]:9080');
    assert.equal(v6.origin, 'http://[::1]:9080');
  });

  test('reconcileHosts keeps the state of endpoints still present and starts new ones fresh', () => {
    const [a, b] = [new Host(ep('10.0.0.1', 'w1', { version: 'v1' })), new Host(ep('10.0.0.2', 'w2'))];
    a.active = 3;
    a.ejected = true;
    const next = reconcileHosts([a, b], [ep('10.0.0.1', 'w1', { version: 'v1' }), ep('10.0.0.2', 'w2-new'), ep('10.0.0.3')]);
    assert.equal(next[0], a, 'same address, workload and labels: the same Host');
    assert.notEqual(next[1], b, 'a different workload behind the same address is a new instance');
    assert.equal(next[1]?.active, 0);
    assert.equal(next[2]?.key, '10.0.0.3:9080');
  });
});
