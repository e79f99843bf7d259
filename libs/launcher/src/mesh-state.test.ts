import { describe, test } from 'node:test';
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addJoinedToken, parseAccounts, removeJoinedToken, writeBootstrapTokens } from './mesh-state.js';
import { readMeshInfo, writeMeshInfo, type MeshInfo } from './mesh-info.js';

describe('bootstrap tokens', () => {
  test('one token per account, readable by this user only, kept across runs for the same account', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-tokens-'));
    const accounts = parseAccounts('frontend/default/frontend, reviews-v1/default/reviews');
    const first = writeBootstrapTokens(dir, accounts);
    assert.deepEqual(Object.keys(first.tokenFiles), ['frontend', 'reviews-v1']);
    const token = readFileSync(first.tokenFiles['frontend'] as string, 'utf8').trim();
    assert.match(token, /^[A-Za-z0-9_-]{32}$/);
    assert.equal(statSync(first.tokenFiles['frontend'] as string).mode & 0o777, 0o600);
    const table = JSON.parse(readFileSync(first.tokensFile, 'utf8')) as { tokens: Array<{ workload: string; serviceAccount: string; token: string }> };
    assert.deepEqual(table.tokens.map((t) => [t.workload, t.serviceAccount]), [['frontend', 'frontend'], ['reviews-v1', 'reviews']]);

    const again = writeBootstrapTokens(dir, parseAccounts('frontend/default/frontend,reviews-v1/default/other-sa'));
    assert.equal(readFileSync(again.tokenFiles['frontend'] as string, 'utf8').trim(), token, 'same account: same token');
    assert.notEqual(readFileSync(again.tokenFiles['reviews-v1'] as string, 'utf8').trim(), table.tokens[1]?.token, 'another service account: a new token');
  });

  test('an account spec that is not workload/namespace/serviceAccount is refused with the culprit named', () => {
    assert.throws(() => parseAccounts('frontend/default'), /<workload>\/<namespace>\/<serviceAccount>\[\/<service>\+<service>\.\.\.\], got "frontend\/default"/);
    assert.throws(() => parseAccounts('a/b/c/d/e'), /got "a\/b\/c\/d\/e"/);
    assert.throws(() => parseAccounts('a/b/c/'), /got "a\/b\/c\/"/);
    assert.deepEqual(parseAccounts(''), []);
  });
  test('an account may name the services its identity serves, when they are not named like the service account', () => {
    assert.deepEqual(parseAccounts('istio-ingressgateway/istio-system/istio-ingressgateway-service-account/istio-ingressgateway, legacy/default/shared/orders+billing'), [
      { name: 'istio-ingressgateway', namespace: 'istio-system', serviceAccount: 'istio-ingressgateway-service-account', services: ['istio-ingressgateway'] },
      { name: 'legacy', namespace: 'default', serviceAccount: 'shared', services: ['orders', 'billing'] },
    ]);
  });
});

describe('skiff run joins and leaves', () => {
  const table = (dir: string) => (JSON.parse(readFileSync(join(dir, 'tokens.json'), 'utf8')) as { tokens: Array<{ workload: string; serviceAccount: string; services?: string[]; token: string; joined?: boolean }> }).tokens;

  test("a joined workload's token is added beside the mesh's own and taken back on leaving; the mesh's own are untouched", () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-join-'));
    writeBootstrapTokens(dir, parseAccounts('frontend/default/frontend'));
    const own = table(dir)[0]?.token;
    const file = addJoinedToken(dir, { name: 'orders-v2', namespace: 'default', serviceAccount: 'orders', services: ['orders'] });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const joined = table(dir).find((t) => t.workload === 'orders-v2');
    assert.deepEqual({ ...joined, token: undefined }, { workload: 'orders-v2', namespace: 'default', serviceAccount: 'orders', services: ['orders'], joined: true, token: undefined });
    assert.equal(readFileSync(file, 'utf8').trim(), joined?.token);
    assert.throws(() => addJoinedToken(dir, { name: 'frontend', namespace: 'default', serviceAccount: 'x' }), /the workload name "frontend" belongs to the mesh's own default\/frontend; choose another --name/);
    removeJoinedToken(dir, 'orders-v2');
    removeJoinedToken(dir, 'frontend'); // not joined: left alone
    assert.deepEqual(table(dir).map((t) => [t.workload, t.token]), [['frontend', own]]);
    assert.equal(existsSync(file), false);
    assert.equal(existsSync(join(dir, 'tokens', 'frontend.token')), true);
  });

  test('eight processes joining at once each keep their entry (the file is edited under a lock)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-join-'));
    writeBootstrapTokens(dir, []);
    const module = new URL('./mesh-state.ts', import.meta.url).href;
    const joins = Array.from({ length: 8 }, (_, i) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '-e', `import(${JSON.stringify(module)}).then((m) => { for (let k = 0; k < 5; k++) m.addJoinedToken(${JSON.stringify(dir)}, { name: 'w${i}-' + k, namespace: 'default', serviceAccount: 'w' }); })`], { stdio: 'inherit' });
        child.once('exit', resolve);
      }),
    );
    assert.deepEqual(await Promise.all(joins), Array(8).fill(0));
    assert.equal(table(dir).length, 40);
    assert.equal(existsSync(join(dir, 'tokens.json.lock')), false);
  });

  test('joining again under one name replaces the earlier token (a run that was killed before it could leave)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-join-'));
    writeBootstrapTokens(dir, []);
    addJoinedToken(dir, { name: 'a', namespace: 'default', serviceAccount: 'a' });
    const first = table(dir)[0]?.token;
    addJoinedToken(dir, { name: 'a', namespace: 'default', serviceAccount: 'a' });
    assert.equal(table(dir).length, 1);
    assert.notEqual(table(dir)[0]?.token, first);
  });
});

describe('mesh.json: how commands find the running mesh', () => {
  const info = (dir: string, pid: number): MeshInfo => ({ pid, namespace: 'default', controlPlane: '127.0.0.1:15012', monitoring: 'http://127.0.0.1:15014', configDir: '/c', stateDir: dir, rootCert: '/r.pem', meshTokenFile: '/t', startedAt: new Date().toISOString() });

  test('written by the running mesh, read back; a mesh that is gone, a missing file and a broken one each say what to do', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-mesh-info-'));
    assert.match(String(readMeshInfo(dir)), /no mesh is running here \(.*mesh\.json does not exist\): start one with "skiff up"/);
    writeMeshInfo(info(dir, process.pid));
    assert.equal((readMeshInfo(dir) as MeshInfo).controlPlane, '127.0.0.1:15012');
    writeMeshInfo(info(dir, 2 ** 22 + 12345)); // above pid_max's default: no such process
    assert.match(String(readMeshInfo(dir)), /\(pid 4206649\) is no longer running: start it with "skiff up"/);
    writeFileSync(join(dir, 'mesh.json'), '{"pid": "x"}');
    assert.match(String(readMeshInfo(dir)), /mesh\.json is not a mesh description .*restart the mesh/);
  });
});
