import assert from 'node:assert/strict';
import { test } from 'node:test';
import jsonpatch from 'fast-json-patch';
import { parse, stringify } from 'yaml';
import { Pod } from 'kubernetes-models/v1';
import { admitPod, reviewAdmission } from './admission.js';
import { BadAdmissionReview } from './admission-review.js';
import { injectManifests, STATUS_ANNOTATION, type InjectOptions } from './inject.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const options: InjectOptions = { controlPlane: 'skiff-control-plane.skiff-system:15012', proxyImage: 'skiff/proxy:0.1.0', initImage: 'skiff/init:0.1.0', transparent: false };
const UID = '705ab4f5-6393-11e8-b7cc-42010a800002';

/** A reviews-v2 pod as the API server hands it to webhooks: from a ReplicaSet, no name yet, defaults filled in. */
function reviewsPod(): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'reviews-v2-7d5b8c9f4-',
      namespace: 'bookinfo',
      labels: { app: 'reviews', version: 'v2', 'pod-template-hash': '7d5b8c9f4' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'reviews-v2-7d5b8c9f4', uid: 'b0b1', controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      serviceAccountName: 'reviews',
      containers: [
        {
          name: 'reviews',
          image: 'skiff/reviews:dev',
          env: [{ name: 'SERVICE_VERSION', value: 'v2' }],
          ports: [{ containerPort: 9080, protocol: 'TCP' }],
          imagePullPolicy: 'IfNotPresent',
          terminationMessagePath: '/dev/termination-log',
          volumeMounts: [{ name: 'kube-api-access-x7k2p', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }],
        },
      ],
      // Added by the ServiceAccount admission plugin, which runs before webhooks.
      volumes: [{ name: 'kube-api-access-x7k2p', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }] } }],
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
    },
  };
}

function admissionReview(pod: Obj, request: Obj = {}): Obj {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: UID,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      namespace: 'bookinfo',
      operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
      object: pod,
      dryRun: false,
      ...request,
    },
  };
}

/** Decodes the response's patch and applies it to a copy of the pod. */
function patched(pod: Obj, response: Obj): Obj {
  assert.equal(response['patchType'], 'JSONPatch');
  const patch = JSON.parse(Buffer.from(response['patch'] as string, 'base64').toString('utf8')) as jsonpatch.Operation[];
  return jsonpatch.applyPatch(structuredClone(pod), patch, true, false).newDocument;
}

/** What `skiff inject` makes of the same pod written as YAML. */
function injectedByCli(pod: Obj, opts: InjectOptions): Obj {
  return parse(injectManifests('pod.yaml', stringify(pod), opts).yaml) as Obj;
}

test('a reviews-v2 pod: the patch turns it into what skiff inject makes of it, and the result is a valid Pod', () => {
  const pod = reviewsPod();
  const before = structuredClone(pod);
  const review = reviewAdmission(admissionReview(pod), options);
  assert.equal(review.apiVersion, 'admission.k8s.io/v1');
  assert.equal(review.kind, 'AdmissionReview');
  assert.equal(review.response.uid, UID);
  assert.equal(review.response.allowed, true);
  assert.equal(review.response.warnings, undefined);
  assert.deepEqual(pod, before, 'the request is not mutated');
  const result = patched(pod, review.response);
  assert.deepEqual(result, injectedByCli(pod, options));
  new Pod(result).validate();
  const containers = result['spec']['containers'] as Obj[];
  assert.deepEqual(containers.map((c) => c['name']), ['reviews', 'skiff-proxy']);
  assert.deepEqual(result['spec']['volumes'].map((v: Obj) => v['name']), ['kube-api-access-x7k2p', 'skiff-token', 'istio-ca-root-cert']);
  assert.equal(result['metadata']['generateName'], 'reviews-v2-7d5b8c9f4-', 'metadata the API server set is kept');
  // The namespace and service account come from the downward API, so a pod without a name or
  // namespace yet (generateName) still gets the right ones when it runs.
  const env = Object.fromEntries((containers[1]?.['env'] as Obj[]).map((e) => [e['name'], e['valueFrom']?.['fieldRef']?.['fieldPath'] ?? e['value']]));
  assert.equal(env['POD_NAMESPACE'], 'metadata.namespace');
  assert.equal(env['SKIFF_SERVICE_ACCOUNT'], 'spec.serviceAccountName');
});

test('transparent mode: the patch adds the init container too', () => {
  const pod = reviewsPod();
  const transparent = { ...options, transparent: true };
  const decision = admitPod(admissionReview(pod), transparent);
  assert.equal(decision.injected, true);
  assert.equal(decision.reason, 'injected (sidecar + init container)');
  assert.equal(decision.podName, 'reviews-v2-7d5b8c9f4-*');
  assert.equal(decision.namespace, 'bookinfo');
  assert.ok(decision.patch.some((op) => op.op === 'add' && op.path === '/spec/initContainers'));
  const result = patched(pod, decision.review.response);
  assert.deepEqual(result, injectedByCli(pod, transparent));
  assert.deepEqual(result['spec']['initContainers'].map((c: Obj) => c['name']), ['skiff-init']);
  new Pod(result).validate();
});

test('JSON Pointer escaping: annotation keys with "/" (and "~") are escaped, and the patch applies exactly', () => {
  const pod = reviewsPod();
  pod['metadata']['annotations'] = { 'sidecar.istio.io/inject': 'true', 'example.com/a~b': 'x' };
  const decision = admitPod(admissionReview(pod), options);
  const statusOp = decision.patch.find((op) => op.path.startsWith('/metadata/annotations'));
  assert.deepEqual(statusOp && { op: statusOp.op, path: statusOp.path }, { op: 'add', path: '/metadata/annotations/skiff.dev~1status' });
  const result = patched(pod, decision.review.response);
  assert.deepEqual(Object.keys(result['metadata']['annotations']), ['sidecar.istio.io/inject', 'example.com/a~b', STATUS_ANNOTATION]);
  assert.deepEqual(result, injectedByCli(pod, options));
  // A pod with no annotations at all gets the whole map added.
  const bare = admitPod(admissionReview(reviewsPod()), options);
  assert.ok(bare.patch.some((op) => op.op === 'add' && op.path === '/metadata/annotations'));
});

test('opted out, already injected, host network and kube-system pods are admitted without a patch', () => {
  const cases: Array<[string, (pod: Obj) => void, RegExp, Obj?]> = [
    ['annotation', (p) => (p['metadata']['annotations'] = { 'sidecar.istio.io/inject': 'false' }), /skipped \(sidecar.istio.io\/inject: "false"\)/],
    ['label', (p) => (p['metadata']['labels']['sidecar.istio.io/inject'] = 'false'), /skipped \(label sidecar.istio.io\/inject: "false"\)/],
    ['already injected', (p) => (p['metadata']['annotations'] = { [STATUS_ANNOTATION]: '{}' }), /already injected/],
    ['hostNetwork', (p) => (p['spec']['hostNetwork'] = true), /skipped \(hostNetwork/],
    ['kube-system', () => undefined, /namespace kube-system is never injected/, { namespace: 'kube-system' }],
  ];
  for (const [what, change, reason, request] of cases) {
    const pod = reviewsPod();
    change(pod);
    const decision = admitPod(admissionReview(pod, request), options);
    assert.deepEqual(decision.review.response, { uid: UID, allowed: true }, what);
    assert.equal(decision.injected, false, what);
    assert.match(decision.reason, reason, what);
  }
});

test('a pod without an "app" label is admitted as it is, with a warning saying why', () => {
  const pod = reviewsPod();
  delete pod['metadata']['labels']['app'];
  const decision = admitPod(admissionReview(pod), options);
  const { uid, allowed, patch, warnings } = decision.review.response;
  assert.deepEqual([uid, allowed, patch], [UID, true, undefined]);
  assert.equal(warnings?.length, 1);
  assert.match(warnings?.[0] ?? '', /^skiff: sidecar not injected: Pod bookinfo\/reviews-v2-7d5b8c9f4-\*: .*no "app" label.*add metadata.labels.app/);
  assert.ok((warnings?.[0] ?? '').length < 256, 'the API server may truncate longer warnings');
  assert.match(decision.reason, /^not injected: /);
});

test('a named pod is named in messages; the namespace falls back to the pod metadata', () => {
  const pod = reviewsPod();
  pod['metadata']['name'] = 'reviews-debug';
  delete pod['metadata']['labels']['app'];
  const review = admissionReview(pod);
  delete review['request']['namespace'];
  const decision = admitPod(review, options);
  assert.equal(decision.podName, 'reviews-debug');
  assert.match(decision.review.response.warnings?.[0] ?? '', /Pod bookinfo\/reviews-debug:/);
});

test('what is not an AdmissionReview v1 for a Pod CREATE is refused, naming what was wrong', () => {
  const good = () => admissionReview(reviewsPod());
  const cases: Array<[unknown, RegExp]> = [
    [null, /expected an AdmissionReview object, got object/],
    [[good()], /got an array/],
    ['{}', /got string/],
    [{ ...good(), apiVersion: 'admission.k8s.io/v1beta1' }, /apiVersion is "admission.k8s.io\/v1beta1"; this webhook speaks admission.k8s.io\/v1 only.*admissionReviewVersions/],
    [{ ...good(), kind: 'Pod' }, /kind is "Pod", expected "AdmissionReview"/],
    [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, /has no request object/],
    [admissionReview(reviewsPod(), { uid: '' }), /request.uid is missing/],
    [admissionReview(reviewsPod(), { kind: { group: 'apps', version: 'v1', kind: 'Deployment' } }), /request.kind is apps\/v1 Deployment; this webhook injects core\/v1 Pods only/],
    [admissionReview(reviewsPod(), { operation: 'UPDATE' }), /request.operation is "UPDATE"; this webhook handles CREATE only/],
    [admissionReview(reviewsPod(), { subResource: 'ephemeralcontainers' }), /request.subResource is "ephemeralcontainers"/],
    [admissionReview(reviewsPod(), { object: undefined }), /request.object is missing/],
  ];
  for (const [review, message] of cases) {
    assert.throws(() => reviewAdmission(review, options), (error: unknown) => {
      assert.ok(error instanceof BadAdmissionReview, `expected BadAdmissionReview for ${JSON.stringify(review)?.slice(0, 80)}`);
      assert.match(error.message, message);
      return true;
    });
  }
});
