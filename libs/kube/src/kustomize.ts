// A small kustomize, for checking k8s/ offline: `kubectl kustomize` needs a kubectl (a cluster
// tool most machines that run the tests lack), so the tests resolve the tree with this instead.
// It does only what k8s/ uses: `resources` (files, and directories with their own
// kustomization), `namespace` and `labels` (metadata only), with kustomize's rules for them
// (files may not come from outside the kustomization's directory; cluster-scoped kinds keep no
// namespace and a Namespace object takes the namespace's name; an object may appear once).
// Anything else in a kustomization is an error here, so the tree cannot silently outgrow the
// check. Where kubectl is installed, a test compares this loader's output with kustomize's.
import { posix } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

export interface LoadedObject {
  object: KubeObject;
  /** Where it came from, e.g. "k8s/base/gateway.yaml#2" (the second document). */
  source: string;
}

/** The loader's only view of the disk, so it stays pure. Paths are POSIX, relative to one root. */
export interface TreeReader {
  /** The file's text, or undefined when there is no such file. */
  readFile(path: string): string | undefined;
  isDirectory(path: string): boolean;
}

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'labels']);
/** Kinds without a namespace that k8s/ uses or might (kustomize knows these too). */
export const CLUSTER_SCOPED = new Set([
  'Namespace',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'PriorityClass',
  'StorageClass',
  'PersistentVolume',
  'IngressClass',
  'RuntimeClass',
]);

interface LabelsEntry {
  pairs?: Record<string, string>;
  includeSelectors?: boolean;
  includeTemplates?: boolean;
}

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');
export const objectId = (o: KubeObject) => `${groupOf(o.apiVersion)}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

function parseFile(path: string, text: string): LoadedObject[] {
  const out: LoadedObject[] = [];
  parseAllDocuments(text).forEach((doc, i) => {
    if (!('errors' in doc)) throw new Error(`${path}: not YAML documents`);
    if (doc.errors.length > 0) throw new Error(`${path}: document ${i + 1}: ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return; // an empty document, e.g. after a trailing ---
    const o = value as Partial<KubeObject>;
    if (typeof o !== 'object' || typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || typeof o.metadata?.name !== 'string') {
      throw new Error(`${path}: document ${i + 1} is not a Kubernetes object (it needs apiVersion, kind and metadata.name)`);
    }
    out.push({ object: o as KubeObject, source: `${path}#${i + 1}` });
  });
  return out;
}

function findKustomization(dir: string, tree: TreeReader): { path: string; text: string } {
  for (const name of KUSTOMIZATION_FILES) {
    const path = posix.join(dir, name);
    const text = tree.readFile(path);
    if (text !== undefined) return { path, text };
  }
  throw new Error(`${dir}: no kustomization.yaml in this directory`);
}

/** Resolves the kustomization in `dir` (relative to the reader's root) into its objects. */
export function loadKustomization(dir: string, tree: TreeReader, seen: readonly string[] = []): LoadedObject[] {
  const root = posix.normalize(dir);
  if (seen.includes(root)) throw new Error(`${root}: kustomizations include each other in a cycle (${[...seen, root].join(' -> ')})`);
  const { path, text } = findKustomization(root, tree);
  const parsed: unknown = parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${path}: not a kustomization (expected a YAML mapping)`);
  const k = parsed as Record<string, unknown>;
  const unsupported = Object.keys(k).filter((key) => !SUPPORTED.has(key));
  if (unsupported.length > 0) {
    throw new Error(`${path}: ${unsupported.join(', ')} not supported by the offline loader (libs/kube/src/kustomize.ts handles ${[...SUPPORTED].slice(2).join(', ')}); extend it, or keep the tree to those`);
  }
  const objects: LoadedObject[] = [];
  for (const entry of (k['resources'] as unknown[] | undefined) ?? []) {
    if (typeof entry !== 'string') throw new Error(`${path}: resources entries must be paths, got ${JSON.stringify(entry)}`);
    const target = posix.normalize(posix.join(root, entry));
    if (tree.isDirectory(target)) {
      objects.push(...loadKustomization(target, tree, [...seen, root]));
      continue;
    }
    const file = tree.readFile(target);
    if (file === undefined) throw new Error(`${path}: resource "${entry}" not found (no file or directory ${target})`);
    // kustomize's default load restrictor: a kustomization's files live in its own directory tree.
    if (posix.relative(root, target).startsWith('..')) throw new Error(`${path}: resource "${entry}" is outside ${root}; kustomize refuses files outside a kustomization's directory (make it a directory with its own kustomization, or copy it in)`);
    objects.push(...parseFile(target, file));
  }
  const namespace = k['namespace'];
  if (namespace !== undefined) {
    if (typeof namespace !== 'string') throw new Error(`${path}: namespace must be a string`);
    for (const { object } of objects) {
      if (object.kind === 'Namespace') object.metadata.name = namespace;
      else if (!CLUSTER_SCOPED.has(object.kind)) object.metadata.namespace = namespace;
    }
  }
  for (const entry of (k['labels'] as LabelsEntry[] | undefined) ?? []) {
    if (entry.includeSelectors || entry.includeTemplates) throw new Error(`${path}: labels with includeSelectors or includeTemplates are not supported by the offline loader`);
    for (const { object } of objects) object.metadata.labels = { ...object.metadata.labels, ...entry.pairs };
  }
  const ids = new Map<string, string>();
  for (const { object, source } of objects) {
    const id = objectId(object);
    const first = ids.get(id);
    if (first) throw new Error(`${path}: ${object.kind} ${object.metadata.name} appears twice (${first} and ${source}); kustomize refuses duplicate objects`);
    ids.set(id, source);
  }
  return objects;
}
