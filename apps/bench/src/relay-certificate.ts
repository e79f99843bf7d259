// The bare relays' mTLS material (ceiling/tcp-relay.mjs), of the same shape as the mesh's: an
// ECDSA P-256 workload certificate from a root CA, so the relays pay what the sidecars pay.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRootCa, createWorkloadCsr, generateWorkloadKey, joinPem, loadCa } from '@skiff/pki';

/** A new directory with key.pem, cert.pem (leaf and CA) and ca.pem (the root to trust). */
export async function relayCertificate(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-relay-'));
  const now = new Date();
  const ca = loadCa(await createRootCa({ trustDomain: 'cluster.local', validityDays: 1, now }));
  const id = 'spiffe://cluster.local/ns/default/sa/relay';
  const keys = await generateWorkloadKey();
  const signed = await ca.sign({ csrPem: createWorkloadCsr(id, keys.privateKeyPem), allowedSpiffeIds: [id], ttlMs: 3_600_000, now });
  writeFileSync(join(dir, 'key.pem'), keys.privateKeyPem);
  writeFileSync(join(dir, 'cert.pem'), joinPem(signed.chainPem));
  writeFileSync(join(dir, 'ca.pem'), ca.rootCertPem);
  return dir;
}
