// Gateway TLS termination end to end (Istio's "secure gateways" task): the gateway serves
// bookinfo.example.com over HTTPS on Gateway port 443 with a certificate from a named credential,
// and its HTTP server on port 80 redirects that host to https. The plain '*' server of the
// default config keeps serving other hosts on port 80.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { getJson, repoRoot } from '@skiff/testing';
import { BOOKINFO_WORKLOADS, ephemeralPorts, freePort, freePorts, meshAccounts, meshPlan, prepareMeshState, Supervisor, type MeshPlan } from '@skiff/launcher';
import { meshConfig, type Product } from './fixtures.js';
import { tlsGatewayYaml, writeServerCredential } from './gateway-tls-fixtures.js';

/**
 * startTestMesh's steps with extra gateway arguments (an HTTPS listener, the credentials dir).
 * TestMeshOptions has no `gatewayArgs` yet; with it this becomes one startTestMesh call.
 */
async function startMeshWithGatewayArgs(config: Record<string, string>, gatewayArgs: string[]): Promise<{ plan: MeshPlan; gateway: string; stop(): Promise<void> }> {
  const configDir = mkdtempSync(join(tmpdir(), 'skiff-test-config-'));
  for (const [name, text] of Object.entries(config)) writeFileSync(join(configDir, name), text);
  const state = prepareMeshState(mkdtempSync(join(tmpdir(), 'skiff-test-state-')), meshAccounts());
  const plan = meshPlan({ state, root: repoRoot, configDir, ports: await ephemeralPorts(freePorts), env: { SKIFF_LOG_LEVEL: process.env.SKIFF_LOG_LEVEL ?? 'info' }, gatewayArgs, samples: BOOKINFO_WORKLOADS, externalStandin: false });
  const supervisor = new Supervisor({ quiet: true });
  const cleanUp = async () => {
    await supervisor.stopAll({ timeoutMs: 3000 });
    rmSync(configDir, { recursive: true, force: true });
    rmSync(state.dir, { recursive: true, force: true });
  };
  try {
    await supervisor.startAll(plan.stages);
  } catch (error) {
    await cleanUp();
    throw error;
  }
  return { plan, gateway: plan.urls.gateway, stop: cleanUp };
}

describe('gateway TLS: HTTPS with credentialName and httpsRedirect', () => {
  let mesh: Awaited<ReturnType<typeof startMeshWithGatewayArgs>>;
  let credentialsDir: string;
  let caPem: string;
  let httpsPort: number;

  before(async () => {
    credentialsDir = mkdtempSync(join(tmpdir(), 'skiff-test-credentials-'));
    caPem = await writeServerCredential(credentialsDir, 'bookinfo-credential', ['bookinfo.example.com']);
    httpsPort = await freePort();
    mesh = await startMeshWithGatewayArgs({ ...meshConfig(100, 0), 'bookinfo-tls.yaml': tlsGatewayYaml }, ['--listen', `${httpsPort}:443`, '--credentials-dir', credentialsDir]);
  });
  after(async () => {
    await mesh?.stop();
    rmSync(credentialsDir, { recursive: true, force: true });
  });

  const https = async (servername: string, ca: string): Promise<{ status?: number; body?: Product; error?: string }> => {
    const dispatcher = new Agent({ connect: { ca, servername } });
    try {
      const res = await request(`https://127.0.0.1:${httpsPort}/api/product/1`, { dispatcher, headers: { host: servername }, headersTimeout: 10_000 });
      return { status: res.statusCode, body: (await res.body.json()) as Product };
    } catch (error) {
      return { error: (error as { code?: string }).code ?? String(error) };
    } finally {
      await dispatcher.close().catch(() => undefined);
    }
  };

  test('an HTTPS request that trusts the CA reaches frontend (and reviews, ratings) with 200', async () => {
    const res = await https('bookinfo.example.com', caPem);
    assert.equal(res.status, 200, JSON.stringify(res));
    assert.equal(res.body?.reviewsVersion, 'v1', JSON.stringify(res));
  });

  test('a client that does not trust the certificate refuses it', async () => {
    const otherDir = mkdtempSync(join(tmpdir(), 'skiff-test-other-ca-'));
    const otherCa = await writeServerCredential(otherDir, 'x', ['bookinfo.example.com']);
    rmSync(otherDir, { recursive: true, force: true });
    const res = await https('bookinfo.example.com', otherCa);
    assert.equal(res.status, undefined, `expected a TLS verification error, got ${JSON.stringify(res)}`);
    assert.match(res.error ?? '', /CERT|SELF_SIGNED|VERIFY|ISSUER/, `expected a certificate verification error, got ${JSON.stringify(res)}`);
  });

  test('HTTP for bookinfo.example.com gets 301 to https; other hosts are still served on port 80', async () => {
    const res = await request(`${mesh.gateway}/api/product/1?x=1`, { headers: { host: 'bookinfo.example.com' } });
    await res.body.dump();
    assert.equal(res.statusCode, 301);
    assert.equal(res.headers.location, 'https://bookinfo.example.com/api/product/1?x=1');
    const other = await getJson<Product>(`${mesh.gateway}/api/product/1`);
    assert.equal(other.status, 200, JSON.stringify(other.body));
  });
});
