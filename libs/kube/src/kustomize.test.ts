import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { loadKustomization, objectId, type KubeObject, type TreeReader } from './kustomize.js';
import { REPO, repoTree } from './test-support.js';

/** A tree in memory: path -> text; directories are implied by the paths. */
function memoryTree(files: Record<string, string>): TreeReader {
  return {
    readFile: (path) => files[path],
    isDirectory: (path) => Object.keys(files).some((f) => f.startsWith(`${path}/`)),
  };
}

const K = 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n';
const summary = (objects: Array<{ object: KubeObject }>) => objects.map(({ object: o }) => `${o.kind} ${o.metadata.namespace ?? '-'}/${o.metadata.name} ${JSON.stringify(o.metadata.labels ?? {})}`);

describe('loadKustomization', () => {
  const tree = memoryTree({
    'k8s/kustomization.yaml': `${K}resources: [base]\nlabels:\n  - pairs: { app.kubernetes.io/part-of: skiff }\n`,
    'k8s/base/kustomization.yaml': `${K}namespace: skiff-system\nresources: [ns.yaml, app.yaml, crds]\n`,
    'k8s/base/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: { name: placeholder }\n',
    'k8s/base/app.yaml': 'apiVersion: v1\nkind: ServiceAccount\nmetadata: { name: a, namespace: elsewhere }\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: { name: r }\n---\n',
    'k8s/base/crds/kustomization.yaml': `${K}resources: [crd.yaml]\n`,
    'k8s/base/crds/crd.yaml': 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: { name: x.example.com }\n',
  });

  test('resources (files and directories), namespace and labels, as kustomize applies them', () => {
    assert.deepEqual(summary(loadKustomization('k8s', tree)), [
      'Namespace -/skiff-system {"app.kubernetes.io/part-of":"skiff"}', // a Namespace takes the namespace's name
      'ServiceAccount skiff-system/a {"app.kubernetes.io/part-of":"skiff"}', // namespace overrides
      'ClusterRole -/r {"app.kubernetes.io/part-of":"skiff"}', // cluster-scoped kinds get none
      'CustomResourceDefinition -/x.example.com {"app.kubernetes.io/part-of":"skiff"}',
    ]);
    assert.equal(loadKustomization('k8s', tree)[1]?.source, 'k8s/base/app.yaml#1');
  });

  test('a missing resource is an error naming the kustomization, the entry and the path', () => {
    const broken = memoryTree({ 'k8s/kustomization.yaml': `${K}resources:\n  - gateway.yaml\n` });
    assert.throws(() => loadKustomization('k8s', broken), { message: 'k8s/kustomization.yaml: resource "gateway.yaml" not found (no file or directory k8s/gateway.yaml)' });
    assert.throws(() => loadKustomization('nowhere', broken), { message: 'nowhere: no kustomization.yaml in this directory' });
  });

  test("kustomize's own refusals: files outside the directory, duplicates, cycles", () => {
    const outside = memoryTree({ 'k8s/kustomization.yaml': `${K}resources: [../config/gateway.yaml]\n`, 'config/gateway.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c }\n' });
    assert.throws(() => loadKustomization('k8s', outside), /resource "..\/config\/gateway.yaml" is outside k8s; kustomize refuses files outside/);
    const twice = memoryTree({ 'k/kustomization.yaml': `${K}resources: [a.yaml, b.yaml]\n`, 'k/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c }\n', 'k/b.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c }\n' });
    assert.throws(() => loadKustomization('k', twice), /ConfigMap c appears twice \(k\/a.yaml#1 and k\/b.yaml#1\)/);
    const cycle = memoryTree({ 'a/kustomization.yaml': `${K}resources: [../b]\n`, 'b/kustomization.yaml': `${K}resources: [../a]\n` });
    assert.throws(() => loadKustomization('a', cycle), /cycle \(a -> b -> a\)/);
  });

  test('features the loader does not have are errors, not silently skipped', () => {
    const generator = memoryTree({ 'k/kustomization.yaml': `${K}configMapGenerator:\n  - name: x\n    files: [a.yaml]\n` });
    assert.throws(() => loadKustomization('k', generator), /configMapGenerator not supported by the offline loader/);
    const selectors = memoryTree({ 'k/kustomization.yaml': `${K}labels:\n  - pairs: { a: b }\n    includeSelectors: true\n` });
    assert.throws(() => loadKustomization('k', selectors), /includeSelectors or includeTemplates are not supported/);
    const notObject = memoryTree({ 'k/kustomization.yaml': `${K}resources: [a.yaml]\n`, 'k/a.yaml': 'just: text\n' });
    assert.throws(() => loadKustomization('k', notObject), /k\/a.yaml: document 1 is not a Kubernetes object/);
  });
});

// kubectl is no requirement (the loader exists because most machines lack it), but where it is
// installed, kustomize itself must agree with the loader on every object of k8s/.
const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
test('kustomize (kubectl kustomize k8s/) builds the same objects as the loader', { skip: kubectl.status === 0 ? false : 'kubectl is not installed' }, () => {
  const built = spawnSync('kubectl', ['kustomize', 'k8s'], { cwd: REPO, encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(built.status, 0, built.stderr);
  const byId = (objects: KubeObject[]) => new Map(objects.map((o) => [objectId(o), o]));
  const theirs = byId(parseAllDocuments(built.stdout).map((d) => (d as { toJS(): KubeObject }).toJS()));
  const ours = byId(loadKustomization('k8s', repoTree).map((l) => l.object));
  assert.deepEqual([...ours.keys()].sort(), [...theirs.keys()].sort());
  for (const [id, object] of ours) assert.deepEqual(object, theirs.get(id), id);
});
