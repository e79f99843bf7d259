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

test('discovery: mutual TLS on 15012; plaintext only when asked for, on a port of its own', () => {
  assert.equal(parse().xdsPort, 15012);
  assert.equal(parse().plaintextXdsPort, undefined);
  assert.equal(parse('--plaintext-xds-port', '15010').plaintextXdsPort, 15010);
  assert.deepEqual(parse('--discovery-san', 'istiod.istio-system.svc, cp.example').discoverySans, ['istiod.istio-system.svc', 'cp.example']);
});

test('the registry and the mesh token live beside the CA; Kubernetes keeps neither unless told', () => {
  assert.equal(parse().registryFile, '.skiff/registry.json');
  assert.equal(parse().meshTokenFile, '.skiff/mesh-token');
  assert.equal(parse('--ca-dir', '/var/lib/skiff/ca/').registryFile, '/var/lib/skiff/registry.json');
  assert.equal(parse('--issue-tokens', '/var/run/skiff', '--accounts', 'a/default/a').meshTokenFile, '/var/run/skiff/mesh-token', 'compose: where the sidecars can read it');
  assert.equal(parse('--registry-file', 'off').registryFile, undefined);
  assert.equal(parse('--config-source', 'kubernetes').registryFile, undefined);
  assert.equal(parse('--config-source', 'kubernetes').meshTokenFile, undefined);
  assert.equal(parse('--config-source', 'kubernetes', '--mesh-token-file', '/etc/skiff/token').meshTokenFile, '/etc/skiff/token');
});

test('config limits: sizes with units, a settle time, and errors that say what to write', () => {
  assert.deepEqual(parse().configLimits, { maxFileBytes: 4 * 1024 * 1024, maxDirBytes: 32 * 1024 * 1024, settleMs: 500 });
  assert.equal(parse('--max-config-file-size', '512KiB').configLimits?.maxFileBytes, 512 * 1024);
  assert.equal(parse('--max-config-dir-size', '1GiB').configLimits?.maxDirBytes, 1024 ** 3);
  assert.equal(parse('--max-config-file-size', '2000000').configLimits?.maxFileBytes, 2_000_000);
  assert.equal(parse('--config-settle', '1s').configLimits?.settleMs, 1000);
  assert.throws(() => parse('--max-config-file-size', 'big'), /must be a size such as 4MiB, 512KiB or 1048576 \(bytes\), got "big"/);
  assert.throws(() => parse('--max-config-file-size', '10'), /at least 1KiB/);
  assert.throws(() => parse('--config-settle', '5m'), /--config-settle: must be at most 60s/);
  assert.equal(parse().warmupMs, 15_000);
  assert.equal(parse().graceMs, 1_000);
});

test("--outbound-traffic-policy is Istio's ALLOW_ANY by default, REGISTRY_ONLY when asked, and nothing else", () => {
  const parse = (args: string[]) => {
    const flags = parseControlPlaneFlags(args);
    assert.ok(flags !== 'help');
    return flags;
  };
  assert.equal(parse([]).outboundTrafficPolicy, 'ALLOW_ANY');
  assert.equal(parse(['--outbound-traffic-policy', 'REGISTRY_ONLY']).outboundTrafficPolicy, 'REGISTRY_ONLY');
  assert.throws(() => parse(['--outbound-traffic-policy', 'registry_only']), /--outbound-traffic-policy must be ALLOW_ANY or REGISTRY_ONLY, got "registry_only"/);
});
