import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseControlPlaneFlags, type ControlPlaneFlags } from './flags.js';

const parse = (...argv: string[]) => parseControlPlaneFlags(argv) as ControlPlaneFlags;

test('file is the default source, and Kubernetes flags without it are an error naming the flag', () => {
  assert.equal(parse().kubernetes, undefined);
  assert.throws(() => parse('--kubeconfig', 'k.yaml'), /--kubeconfig needs --config-source kubernetes/);
  assert.throws(() => parse('--config-source', 'etcd'), /--config-source must be "file" or "kubernetes", got "etcd"/);
});

test('kubernetes: lease, webhook and injection defaults as the manifests expect', () => {
  const k = parse('--config-source', 'kubernetes').kubernetes;
  assert.deepEqual(k?.lease, { namespace: process.env['POD_NAMESPACE'] || 'skiff-system', name: 'skiff-control-plane' });
  assert.equal(k?.webhookPort, 15017);
  assert.deepEqual(k?.inject, { transparent: false, proxyImage: 'skiff/proxy:0.1.0', initImage: 'skiff/init:0.1.0' });
  const custom = parse('--config-source', 'kubernetes', '--lease', 'mesh/cp', '--webhook-port', 'off', '--inject', 'transparent').kubernetes;
  assert.deepEqual(custom?.lease, { namespace: 'mesh', name: 'cp' });
  assert.equal(custom?.webhookPort, undefined);
  assert.equal(custom?.inject.transparent, true);
  assert.throws(() => parse('--config-source', 'kubernetes', '--lease', 'just-a-name'), /--lease must be <namespace>\/<name>/);
  assert.throws(() => parse('--config-source', 'kubernetes', '--inject', 'sometimes'), /--inject must be "explicit" or "transparent"/);
});
