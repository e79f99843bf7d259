// The data plane does not depend on the control plane being up: proxies keep their last config,
// reconnect when it returns, and take the config it has then.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { get, getJson, runConcurrently, startTestMesh, waitFor, type TestMesh } from '@skiff/testing';
import { meshConfig, reviewsVirtualService, type Product } from './fixtures.js';

interface SyncState {
  proxy: string;
  synced: boolean;
  acked: string;
}

describe('local mesh: control plane outage', () => {
  let mesh: TestMesh;
  before(async () => {
    mesh = await startTestMesh({ config: meshConfig(100, 0), controlPlaneArgs: ['--warmup-ms', '1500'] });
  });
  after(async () => {
    await mesh?.stop();
  });

  const versions = async (n: number) => (await runConcurrently(n, 8, () => getJson<Product>(`${mesh.gateway}/api/product/1`))).map((r) => (r.status === 200 ? r.body.reviewsVersion : `status ${r.status}`));

  test('proxies keep routing while the control plane is down, then reconnect and take new config', async () => {
    assert.deepEqual(new Set(await versions(50)), new Set(['v1']));

    const rootBefore = (await get(`${mesh.controlPlane}/root-cert.pem`)).text;
    assert.match(rootBefore, /BEGIN CERTIFICATE/);
    await mesh.supervisor.stop('control-plane');
    assert.deepEqual(new Set(await versions(200)), new Set(['v1']), 'routing continues on the last config');

    // Change the config while the control plane is away; it reads it when it comes back.
    mesh.writeConfig('reviews-vs.yaml', reviewsVirtualService(0, 100));
    assert.deepEqual(new Set(await versions(50)), new Set(['v1']), 'nothing changes without a control plane');

    await mesh.supervisor.restart('control-plane');
    assert.equal((await get(`${mesh.controlPlane}/root-cert.pem`)).text, rootBefore, 'the CA keeps its persisted root across a restart');
    await waitFor(
      'every proxy to reconnect and ACK',
      async () => {
        const { body } = await getJson<SyncState[]>(`${mesh.controlPlane}/debug/syncz`);
        return body.length === 5 && body.every((s) => s.synced && s.acked !== '');
      },
      15_000,
    );
    await waitFor('the new config (100% v2) in force', async () => (await versions(20)).every((v) => v === 'v2'), 10_000);
    assert.deepEqual(new Set(await versions(100)), new Set(['v2']));
  });
});
