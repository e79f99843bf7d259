import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { parseGatewayFlags, type GatewayFlags } from './flags.js';

const parse = (argv: string[]) => parseGatewayFlags(argv) as GatewayFlags;

test('--credentials-dir: flag, then SKIFF_CREDENTIALS_DIR, then .skiff/credentials, made absolute', () => {
  const saved = process.env.SKIFF_CREDENTIALS_DIR;
  try {
    delete process.env.SKIFF_CREDENTIALS_DIR;
    assert.equal(parse([]).credentialsDir, resolve('.skiff/credentials'));
    process.env.SKIFF_CREDENTIALS_DIR = '/etc/skiff/creds';
    assert.equal(parse([]).credentialsDir, '/etc/skiff/creds');
    assert.equal(parse(['--credentials-dir', 'certs']).credentialsDir, resolve('certs'));
  } finally {
    if (saved === undefined) delete process.env.SKIFF_CREDENTIALS_DIR;
    else process.env.SKIFF_CREDENTIALS_DIR = saved;
  }
});

test('--listen is repeatable: one listener per Gateway server port', () => {
  assert.deepEqual(parse(['--listen', '8080:80', '--listen', '8443:443']).listeners, [
    { port: 8080, serverPort: 80 },
    { port: 8443, serverPort: 443 },
  ]);
});
