import assert from 'node:assert/strict';
import { test } from 'node:test';
import { downstreamFromFlags, DOWNSTREAM_HELP } from './downstream-flags.js';

test('downstream flags become limits; absent flags keep the defaults', () => {
  assert.deepEqual(downstreamFromFlags({}), {});
  assert.deepEqual(downstreamFromFlags({ requestHeadersTimeout: '5s', idleTimeout: '1h', streamIdleTimeout: '30s', maxConnections: '100' }), {
    requestHeadersTimeoutMs: 5_000,
    idleTimeoutMs: 3_600_000,
    streamIdleTimeoutMs: 30_000,
    maxConnections: 100,
  });
});

test('a bad value is an error naming its flag and what would do', () => {
  assert.throws(() => downstreamFromFlags({ requestHeadersTimeout: 'soon' }), /--request-headers-timeout: .*e\.g\. 10s/);
  assert.throws(() => downstreamFromFlags({ idleTimeout: '10ms' }), /--idle-timeout must be between 100ms and 24h, got "10ms"/);
  assert.throws(() => downstreamFromFlags({ maxConnections: '0' }), /--max-connections must be a whole number/);
  assert.throws(() => downstreamFromFlags({ maxConnections: '2.5' }), /--max-connections/);
});

test('the help names every flag with its default', () => {
  for (const flag of ['--request-headers-timeout', '--idle-timeout', '--stream-idle-timeout', '--max-connections']) assert.ok(DOWNSTREAM_HELP.includes(flag), flag);
  assert.match(DOWNSTREAM_HELP, /default: 10s/);
});
