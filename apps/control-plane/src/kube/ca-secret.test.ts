import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '@skiff/telemetry';
import { loadOrCreateCaSecret } from './ca-secret.js';
import { useKubeApiStandIn } from './standin-kubeconfig.js';

const logger = createLogger('test', {}, { level: 'silent' });
const standIn = useKubeApiStandIn();

test('two replicas starting together end up with one root, kept in the Secret', async () => {
  const options = { namespace: 'skiff-system', name: 'skiff-ca', trustDomain: 'cluster.local', logger };
  const [a, b] = await Promise.all([loadOrCreateCaSecret(standIn.kubeConfig(), options), loadOrCreateCaSecret(standIn.kubeConfig(), options)]);
  assert.equal(a.rootCertPem, b.rootCertPem);
  const creates = standIn.api.requests.filter((r) => r.startsWith('POST /api/v1/namespaces/skiff-system/secrets')).length;
  assert.ok(creates >= 1 && creates <= 2);
  const again = await loadOrCreateCaSecret(standIn.kubeConfig(), options);
  assert.equal(again.rootCertPem, a.rootCertPem, 'a restart reads the same root');
});

test('a Secret without the CA keys is an error that says what to do', async () => {
  standIn.api.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'not-a-ca', namespace: 'skiff-system' }, data: { other: 'eA==' } });
  await assert.rejects(loadOrCreateCaSecret(standIn.kubeConfig(), { namespace: 'skiff-system', name: 'not-a-ca', trustDomain: 'cluster.local', logger }), /Secret skiff-system\/not-a-ca has no ca-cert\.pem and ca-key\.pem; delete it/);
});
