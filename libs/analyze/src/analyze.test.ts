import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseConfigFile } from '@skiff/api';
import { analyze } from './analyze.js';
import { BOOKINFO, BOOKINFO_SERVICES } from './bookinfo.fixture.js';
import { CODES } from './codes.js';
import { lineOf, run, service, summary } from './test-helpers.js';

const REPO_CONFIG = fileURLToPath(new URL('../../../config/', import.meta.url));

function repoConfig(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(REPO_CONFIG).filter((n) => /\.(ya?ml|json)$/.test(n)).sort()) files[`config/${name}`] = readFileSync(REPO_CONFIG + name, 'utf8');
  return files;
}

describe('no false positives', () => {
  test("the repo's own config, with and without the sample apps' registry", () => {
    const files = repoConfig();
    assert.ok(Object.keys(files).length >= 2, 'expected the repo config files');
    const registry = [service('frontend.default.svc.cluster.local', ['v1']), service('reviews.default.svc.cluster.local', ['v1', 'v2']), service('ratings.default.svc.cluster.local', ['v1'])];
    for (const services of [undefined, registry]) {
      const { findings, fileIssues } = run(files, services);
      assert.deepEqual(summary(fileIssues), []);
      assert.deepEqual(summary(findings), []);
    }
  });

  test('a Bookinfo-like set with gateway, subsets, split, mirror, and its registry', () => {
    const { findings } = run(BOOKINFO, BOOKINFO_SERVICES);
    assert.deepEqual(summary(findings), []);
    assert.deepEqual(summary(run(BOOKINFO).findings), []);
  });

  test('the same set is not clean when its registry lacks a version: the check is live', () => {
    const { findings } = run(BOOKINFO, [BOOKINFO_SERVICES[0], service('reviews.default.svc.cluster.local', ['v1']), BOOKINFO_SERVICES[2]].filter((s) => s !== undefined));
    assert.deepEqual(
      findings.map((f) => `${f.file} ${f.field} ${f.message.slice(0, 9)}`),
      ['bookinfo/reviews.yaml spec.subsets[1].labels [IST0173]'],
    );
  });
});

describe('what analyze leaves to the per-file validator', () => {
  test('weights not summing to 100: one per-file error, nothing added (and no finding caused by the rejected resource)', () => {
    const text = BOOKINFO['bookinfo/reviews.yaml']?.replace('weight: 10', 'weight: 20') ?? '';
    const { findings, fileIssues } = run({ ...BOOKINFO, 'bookinfo/reviews.yaml': text }, BOOKINFO_SERVICES);
    assert.deepEqual(
      fileIssues.filter((i) => i.severity === 'error').map((i) => i.message),
      ['weights sum to 110, must sum to 100'],
    );
    assert.deepEqual(summary(findings), []);
  });

  test('returns only its own findings, never the input issues', () => {
    const issue = { severity: 'warning' as const, file: 'x.yaml', line: 1, resource: '(document 1)', field: '', message: 'something' };
    assert.deepEqual(analyze({ resources: [], issues: [issue] }), []);
  });
});

describe('standing down after per-file errors', () => {
  const gateway = 'apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: gw\nspec:\n  servers:\n    - port: { number: 80, name: http, protocol: HTTP }\n      hosts: ["*"]\n';

  test('a document of unknown kind (here a YAML syntax error) could be anything: checks for missing things stand down', () => {
    const { findings, fileIssues } = run({ 'gw.yaml': gateway, 'broken.yaml': 'kind: VirtualService\nspec: [unclosed\n' });
    assert.ok(fileIssues.some((i) => i.severity === 'error' && i.resource === '(document 1)'), summary(fileIssues).join('\n'));
    assert.deepEqual(summary(findings), []);
  });

  test('warnings (a skipped Kubernetes Service) do not: the unbound Gateway is still reported', () => {
    const { findings, fileIssues } = run({ 'gw.yaml': gateway, 'svc.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n' });
    assert.deepEqual(fileIssues.map((i) => i.severity), ['warning']);
    assert.deepEqual(findings.map((f) => f.message.slice(0, 9)), ['[SKF0001]']);
  });
});

describe('SKF0004 one resource in two files', () => {
  test('warns at the second and checks only the first', () => {
    const first = 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: reviews\nspec:\n  host: reviews\n  subsets:\n    - name: v1\n';
    const second = first.replace('name: v1', 'name: v9');
    const vs = 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: reviews\nspec:\n  hosts: [reviews]\n  http:\n    - route:\n        - destination: { host: reviews, subset: v9 }\n';
    const { findings } = run({ 'a.yaml': first, 'b.yaml': second, 'vs.yaml': vs });
    assert.deepEqual(
      findings.map((f) => `${f.severity} ${f.file}:${f.line} ${f.field} ${f.message.slice(0, 9)}`),
      [`warning b.yaml:${lineOf(second, 'name: reviews')} metadata.name [SKF0004]`, `error vs.yaml:${lineOf(vs, 'v9')} spec.http[0].route[0].destination.subset [IST0101]`],
    );
    assert.match(findings[0]?.message ?? '', /is also defined in a\.yaml:1, which is used; this one is ignored/);
  });
});

describe('lines and order', () => {
  const gw = 'apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: unused\nspec:\n  servers:\n    - port: { number: 80, name: http, protocol: HTTP }\n      hosts: ["*"]\n';
  const twoDocs = `# comment\n${gw}---\n${gw.replace('unused', 'idle')}`;

  test("without the file's text, a finding points at its resource's first line", () => {
    const parsed = parseConfigFile('gw.yaml', twoDocs);
    const findings = analyze({ resources: parsed.resources, issues: parsed.issues });
    assert.deepEqual(
      findings.map((f) => `${f.line} ${f.resource}`),
      ['2 Gateway default/unused', `${lineOf(twoDocs, 'apiVersion', 3)} Gateway default/idle`],
    );
  });

  test('with it, at the line of the field; findings sorted by file, then line', () => {
    const { findings } = run({ 'z.yaml': gw, 'a.yaml': twoDocs });
    assert.deepEqual(
      findings.map((f) => `${f.file}:${f.line}`),
      [`a.yaml:${lineOf(twoDocs, 'name: unused')}`, `a.yaml:${lineOf(twoDocs, 'name: idle')}`, `z.yaml:${lineOf(gw, 'name: unused')}`],
    );
  });

  test('every code is distinct and tagged in its messages', () => {
    const codes = Object.values(CODES).map((c) => c.code);
    assert.equal(new Set(codes).size, codes.length);
    assert.ok(run({ 'a.yaml': gw }).findings.every((f) => f.message.startsWith(`[${CODES.UnboundGateway.code}] `)));
  });
});
