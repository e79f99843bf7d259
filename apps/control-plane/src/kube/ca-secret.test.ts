import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLogger } from '@skiff/telemetry';
import { startKubeApiStandIn, type KubeApiStandIn } from '@skiff/testing';
import { loadOrCreateCaSecret } from './ca-secret.js';
import { standInKubeConfig } from './standin-kubeconfig.js';

const logger = createLogger('test', {}, { level: 'silent' });
let api: KubeApiStandIn;
before(async () => {
  api = await startKubeApiStandIn();
});
after(async () => {
  await api.close();
});

test('two replicas starting together end up with one root, kept in the Secret', async () => {
  const options = { namespace: 'skiff-system', name: 'skiff-ca', trustDomain: 'cluster.local', logger };
  const [a, b] = await Promise.all([loadOrCreateCaSecret(standInKubeConfig(api), options), loadOrCreateCaSecret(standInKubeConfig(api), options)]);
  assert.equal(a.rootCertPem, b.rootCertPem);
  const creates = api.requests.filter((r) => r.startsWith('POST /api/v1/namespaces/skiff-system/secrets')).length;
  assert.ok(creates >= 1 && creates <= 2);
  const again = await loadOrCreateCaSecret(standInKubeConfig(api), options);
  assert.equal(again.rootCertPem, a.rootCertPem, 'a restart reads the same root');
});

test('a Secret without the CA keys is an error that says what to do', async () => {
  api.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'not-a-ca', namespace: 'skiff-system' }, data: { other: 'eA==' } });
  await assert.rejects(loadOrCreateCaSecret(standInKubeConfig(api), { namespace: 'skiff-system', name: 'not-a-ca', trustDomain: 'cluster.local', logger }), /Secret skiff-system\/not-a-ca has no ca-cert\.pem and ca-key\.pem; delete it/);
});
