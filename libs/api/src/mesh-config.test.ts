// Istio's mesh ConfigMap read from a config file: what is taken, what is ignored with a warning,
// what is an error that keeps the file out (and so the last good config in force).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileHasErrors, parseConfigFile } from './load.js';

const configMap = (mesh: string, namespace = 'istio-system') => `apiVersion: v1
kind: ConfigMap
metadata:
  name: istio
  namespace: ${namespace}
data:
  mesh: |-
${mesh
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
`;

const read = (text: string) => {
  const parsed = parseConfigFile('mesh.yaml', text);
  return { resources: parsed.resources, issues: parsed.issues.map((i) => `${i.line} ${i.severity} ${i.resource} ${i.field}: ${i.message}`), errors: fileHasErrors(parsed.issues) };
};

describe("the mesh ConfigMap (istio in istio-system, data.mesh), as Istio's docs edit it", () => {
  test('outboundTrafficPolicy.mode REGISTRY_ONLY is read as the mesh config', () => {
    const { resources, issues, errors } = read(configMap('outboundTrafficPolicy:\n  mode: REGISTRY_ONLY'));
    assert.deepEqual(issues, []);
    assert.equal(errors, false);
    assert.deepEqual(resources.map((r) => [r.kind, r.metadata.namespace, r.metadata.name, r.spec]), [['MeshConfig', 'istio-system', 'istio', { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } }]]);
  });

  test("a whole mesh config pasted from Istio: the fields Skiff does not read are warnings, the mode still counts", () => {
    const { resources, issues, errors } = read(configMap('accessLogFile: /dev/stdout\nenableTracing: true\noutboundTrafficPolicy:\n  mode: ALLOW_ANY\n  egressProxy: {host: egress}\ndefaultConfig:\n  holdApplicationUntilProxyStarts: true'));
    assert.equal(errors, false);
    assert.deepEqual((resources[0]?.spec as { outboundTrafficPolicy?: unknown }).outboundTrafficPolicy, { mode: 'ALLOW_ANY' });
    assert.deepEqual(
      issues.map((i) => i.replace(/^\d+ /, '')),
      [
        'warning ConfigMap istio-system/istio data.mesh.accessLogFile: MeshConfig accessLogFile: not supported by Skiff, ignored',
        'warning ConfigMap istio-system/istio data.mesh.enableTracing: MeshConfig enableTracing: not supported by Skiff, ignored',
        'warning ConfigMap istio-system/istio data.mesh.outboundTrafficPolicy.egressProxy: outboundTrafficPolicy.egressProxy: not supported by Skiff, ignored',
        'warning ConfigMap istio-system/istio data.mesh.defaultConfig: MeshConfig defaultConfig: not supported by Skiff, ignored',
      ],
    );
  });

  test('a misspelt mode or field is an error that names the fix, so the file is not applied', () => {
    const mode = read(configMap('outboundTrafficPolicy:\n  mode: REGISTRY_ONL'));
    assert.equal(mode.errors, true);
    assert.deepEqual(mode.resources, []);
    assert.match(mode.issues.join('\n'), /error ConfigMap istio-system\/istio data\.mesh\.outboundTrafficPolicy\.mode: outboundTrafficPolicy\.mode must be ALLOW_ANY or REGISTRY_ONLY, got "REGISTRY_ONL"; did you mean "REGISTRY_ONLY"\?/);
    const field = read(configMap('outboundTraficPolicy:\n  mode: REGISTRY_ONLY'));
    assert.equal(field.errors, true);
    assert.match(field.issues.join('\n'), /unknown MeshConfig field "outboundTraficPolicy"; did you mean "outboundTrafficPolicy"\?/);
  });

  test('data.mesh that is not YAML, not a mapping, holds aliases, or is not a string: errors at data.mesh', () => {
    for (const [mesh, message] of [
      ['outboundTrafficPolicy: [', /data\.mesh is not valid YAML/],
      ['- REGISTRY_ONLY', /data\.mesh must be a YAML mapping/],
      ['a: &x [1]\nb: *x', /data\.mesh: .*alias/i],
    ] as const) {
      const { errors, issues } = read(configMap(mesh));
      assert.equal(errors, true, mesh);
      assert.match(issues.join('\n'), message, mesh);
    }
    const notString = read('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: {outboundTrafficPolicy: {mode: REGISTRY_ONLY}}\n');
    assert.equal(notString.errors, true);
    assert.match(notString.issues.join('\n'), /6? ?error .*data\.mesh: data\.mesh must be a string holding the mesh config as YAML \(write "mesh: \|"/);
  });

  test('a ConfigMap named istio elsewhere, or another ConfigMap, is not the mesh config: a warning, and ignored', () => {
    const elsewhere = read(configMap('outboundTrafficPolicy:\n  mode: REGISTRY_ONLY', 'default'));
    assert.deepEqual(elsewhere.resources, []);
    assert.equal(elsewhere.errors, false);
    assert.match(elsewhere.issues.join('\n'), /warning ConfigMap default\/istio metadata\.namespace: a ConfigMap named istio in namespace default: the mesh config is read from the ConfigMap istio in istio-system only/);
    const other = read('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other, namespace: istio-system}\ndata: {a: b}\n');
    assert.deepEqual(other.resources, []);
    assert.match(other.issues.join('\n'), /kind ConfigMap \(v1\) is not a Skiff mesh resource; ignored/);
  });

  test('two files defining the mesh ConfigMap: the duplicate is reported as for any resource', () => {
    const text = configMap('outboundTrafficPolicy:\n  mode: REGISTRY_ONLY');
    const { errors, issues } = read(`${text}---\n${text}`);
    assert.equal(errors, true);
    assert.match(issues.join('\n'), /ConfigMap istio-system\/istio is defined twice in this file/);
  });
});
