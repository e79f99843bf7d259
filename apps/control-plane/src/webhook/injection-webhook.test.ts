// The real HTTPS webhook on loopback, with a certificate from the real CA, called the way the API
// server calls it: trusting only the caBundle and checking the Service's DNS name.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { pino } from 'pino';
import jsonpatch from 'fast-json-patch';
import { createRootCa, loadCa, type ServingMaterial } from '@skiff/pki';
import type { InjectOptions } from '@skiff/kube';
import { MAX_REVIEW_BYTES, startInjectionWebhook, type InjectionWebhook } from './injection-webhook.js';
import { issueWebhookCertificate } from './webhook-cert.js';

const SERVICE_NAME = 'skiff-control-plane.skiff-system.svc';
const inject: InjectOptions = { controlPlane: 'skiff-control-plane.skiff-system:15010', proxyImage: 'skiff/proxy:0.1.0', initImage: 'skiff/init:0.1.0', transparent: true };

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

interface CallOptions {
  method?: string;
  path?: string;
  body?: string | Buffer;
  contentType?: string;
  /** Send the body in chunks without a content-length. */
  chunked?: boolean;
  servername?: string;
  ca?: string;
}

const pod = () => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { generateName: 'reviews-v2-7d5b8c9f4-', namespace: 'bookinfo', labels: { app: 'reviews', version: 'v2' } },
  spec: { serviceAccountName: 'reviews', containers: [{ name: 'reviews', image: 'skiff/reviews:dev', ports: [{ containerPort: 9080 }] }] },
});

const review = (uid: string, object: object = pod()) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: { uid, kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, namespace: 'bookinfo', operation: 'CREATE', object },
});

describe('the injection webhook over HTTPS', () => {
  let material: ServingMaterial;
  let webhook: InjectionWebhook;
  const logLines: Array<Record<string, unknown>> = [];
  const checkedNames: string[] = [];

  function call(options: CallOptions = {}): Promise<Reply> {
    const body = options.body ?? '';
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: webhook.port,
          method: options.method ?? 'POST',
          path: options.path ?? '/inject',
          agent: false,
          ca: options.ca ?? material.caBundlePem, // trust only the bundle, as the API server does
          servername: options.servername ?? SERVICE_NAME, // SNI, and the name the certificate must carry
          checkServerIdentity: (host: string, cert: PeerCertificate) => {
            checkedNames.push(host);
            return checkServerIdentity(host, cert);
          },
          headers: { 'content-type': options.contentType ?? 'application/json', ...(options.chunked ? {} : { 'content-length': Buffer.byteLength(body) }) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      req.on('error', reject);
      if (options.chunked && typeof body !== 'string') {
        for (let at = 0; at < body.length; at += 256 * 1024) req.write(body.subarray(at, at + 256 * 1024));
        req.end();
      } else req.end(body);
    });
  }

  before(async () => {
    // OpenSSL checks validity against the real clock, so the CA and the certificate are for now.
    const ca = loadCa(await createRootCa({ trustDomain: 'cluster.local', now: new Date() }));
    material = await issueWebhookCertificate(ca);
    const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });
    webhook = await startInjectionWebhook({ host: '127.0.0.1', port: 0, certPem: material.certPem, keyPem: material.keyPem, inject, logger });
  });

  after(async () => {
    await webhook.close();
    assert.equal(webhook.server.listening, false);
  });

  test('the certificate names the Service and chains to the caBundle', () => {
    const cert = new X509Certificate(material.certPem);
    assert.equal(cert.subjectAltName, `DNS:${SERVICE_NAME}, DNS:${SERVICE_NAME}.cluster.local`);
    assert.equal(cert.checkIssued(new X509Certificate(material.caBundlePem)), true);
  });

  test('POST /inject answers an AdmissionReview with a patch that injects the pod, and logs one line', async () => {
    const [logsBefore, checksBefore] = [logLines.length, checkedNames.length];
    const reply = await call({ body: JSON.stringify(review('uid-1')) });
    assert.equal(reply.status, 200, reply.body);
    assert.match(String(reply.headers['content-type']), /^application\/json/);
    assert.deepEqual(checkedNames.slice(checksBefore), [SERVICE_NAME], 'the client checked the Service name');
    const answer = JSON.parse(reply.body) as { apiVersion: string; kind: string; response: { uid: string; allowed: boolean; patchType: string; patch: string } };
    assert.equal(answer.apiVersion, 'admission.k8s.io/v1');
    assert.equal(answer.kind, 'AdmissionReview');
    assert.equal(answer.response.uid, 'uid-1');
    assert.equal(answer.response.allowed, true);
    assert.equal(answer.response.patchType, 'JSONPatch');
    const patch = JSON.parse(Buffer.from(answer.response.patch, 'base64').toString('utf8')) as jsonpatch.Operation[];
    const injected = jsonpatch.applyPatch(pod(), patch, true, false).newDocument as ReturnType<typeof pod> & { spec: { initContainers: Array<{ name: string }> } };
    assert.deepEqual(injected.spec.containers.map((c) => c.name), ['reviews', 'skiff-proxy']);
    assert.deepEqual(injected.spec.initContainers.map((c) => c.name), ['skiff-init']);
    const logged = logLines.slice(logsBefore);
    assert.equal(logged.length, 1, JSON.stringify(logged));
    assert.deepEqual([logged[0]?.['namespace'], logged[0]?.['pod'], logged[0]?.['injected']], ['bookinfo', 'reviews-v2-7d5b8c9f4-*', true]);
    assert.match(String(logged[0]?.['msg']), /bookinfo\/reviews-v2-7d5b8c9f4-\* injected \(sidecar \+ init container\)/);
  });

  test('a pod left alone is allowed without a patch, and the log says why', async () => {
    const optedOut = pod();
    Object.assign(optedOut.metadata, { annotations: { 'sidecar.istio.io/inject': 'false' } });
    const logsBefore = logLines.length;
    const reply = await call({ body: JSON.stringify(review('uid-2', optedOut)) });
    assert.equal(reply.status, 200);
    assert.deepEqual(JSON.parse(reply.body).response, { uid: 'uid-2', allowed: true });
    assert.equal(logLines.slice(logsBefore).length, 1);
    assert.match(String(logLines.at(-1)?.['msg']), /skipped \(sidecar.istio.io\/inject: "false"\)/);
    assert.equal(logLines.at(-1)?.['injected'], false);
  });

  test('garbage, a wrong review, a wrong method or content type, and unknown paths get 4xx with a message', async () => {
    const garbage = await call({ body: '{"apiVersion": ' });
    assert.equal(garbage.status, 400);
    assert.match(garbage.body, /^the body is not JSON: /);
    const notPod = await call({ body: JSON.stringify({ ...review('uid-3'), apiVersion: 'admission.k8s.io/v1beta1' }) });
    assert.equal(notPod.status, 400);
    assert.match(notPod.body, /not a Pod CREATE AdmissionReview: apiVersion is "admission.k8s.io\/v1beta1"/);
    const get = await call({ method: 'GET' });
    assert.deepEqual([get.status, get.headers['allow']], [405, 'POST']);
    const putReady = await call({ method: 'PUT', path: '/ready' });
    assert.equal(putReady.status, 405);
    const yaml = await call({ body: 'kind: AdmissionReview', contentType: 'application/yaml' });
    assert.equal(yaml.status, 415);
    assert.match(yaml.body, /content-type must be application\/json/);
    const missing = await call({ method: 'GET', path: '/mutate' });
    assert.equal(missing.status, 404);
    assert.match(missing.body, /answers POST \/inject and GET \/ready/);
  });

  test('GET /ready answers 200', async () => {
    const ready = await call({ method: 'GET', path: '/ready' });
    assert.deepEqual([ready.status, ready.body], [200, 'ready\n']);
  });

  test('a body over the limit gets 413, whether its length is declared or not', async () => {
    const big = Buffer.alloc(MAX_REVIEW_BYTES + 1, 0x20);
    const declared = await call({ body: big });
    assert.equal(declared.status, 413);
    assert.match(declared.body, /larger than 2097152 bytes/);
    const chunked = await call({ body: big, chunked: true });
    assert.equal(chunked.status, 413);
    // Just under the limit is read (and is not JSON).
    const under = await call({ body: Buffer.alloc(MAX_REVIEW_BYTES, 0x20) });
    assert.equal(under.status, 400);
    assert.match(under.body, /not JSON/);
  });

  test('a client that does not trust the CA, or expects another name, does not get through', async () => {
    const stranger = await createRootCa({ trustDomain: 'cluster.local', now: new Date() });
    await assert.rejects(call({ method: 'GET', path: '/ready', ca: stranger.certPem }), (error: NodeJS.ErrnoException) => error.code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    await assert.rejects(call({ method: 'GET', path: '/ready', servername: 'skiff-control-plane.default.svc' }), (error: NodeJS.ErrnoException) => error.code === 'ERR_TLS_CERT_ALTNAME_INVALID');
  });

  test('setCertificate serves a new certificate to new connections (rotation, or another Service name)', async () => {
    const ca = loadCa(await createRootCa({ trustDomain: 'cluster.local', now: new Date() }));
    const renamed = await issueWebhookCertificate(ca, { service: 'injector', namespace: 'mesh' });
    assert.deepEqual(renamed.dnsNames, ['injector.mesh.svc', 'injector.mesh.svc.cluster.local']);
    webhook.setCertificate(renamed);
    const ready = await call({ method: 'GET', path: '/ready', ca: renamed.caBundlePem, servername: 'injector.mesh.svc' });
    assert.equal(ready.status, 200);
    await assert.rejects(call({ method: 'GET', path: '/ready' }), (error: NodeJS.ErrnoException) => error.code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });
});
