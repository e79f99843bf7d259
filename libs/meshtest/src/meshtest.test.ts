import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfigFile, type WorkloadInfo } from '@skiff/api';
import { caseResult } from './judge.js';
import { CaseEvaluator, offlineSnapshots } from './offline.js';
import { POLICY_CASES, POLICY_CONFIG, POLICY_TESTS } from './policy.fixture.js';
import { junitXml, textReport } from './report.js';
import { parseMeshTestFile } from './schema.js';

// Each at its own inbound port: one address and port is one endpoint, whatever announces it.
let nextPort = 15106;
const sidecar = (name: string, service: string, version: string): WorkloadInfo => ({ id: `${name}.default`, kind: 'sidecar', service, namespace: 'default', serviceAccount: service, labels: { app: service, version }, address: '127.0.0.1', inboundPort: (nextPort += 100), servicePort: 9080, servicePortName: 'http' });
const WORKLOADS: WorkloadInfo[] = [
  { id: 'istio-ingressgateway.istio-system', kind: 'gateway', service: 'istio-ingressgateway', namespace: 'istio-system', serviceAccount: 'istio-ingressgateway-service-account', labels: { istio: 'ingressgateway' }, address: '127.0.0.1', inboundPort: 0, servicePort: 0 },
  sidecar('frontend', 'frontend', 'v1'),
  sidecar('reviews-v1', 'reviews', 'v1'),
  sidecar('reviews-v2', 'reviews', 'v2'),
  sidecar('ratings', 'ratings', 'v1'),
];

function runFixture() {
  const config = parseConfigFile('policy.yaml', POLICY_CONFIG);
  assert.deepEqual(config.issues, []);
  const evaluator = new CaseEvaluator(WORKLOADS, offlineSnapshots({ resources: config.resources, workloads: WORKLOADS }));
  const { suites, errors } = parseMeshTestFile('tests.yaml', POLICY_TESTS);
  assert.deepEqual(errors, []);
  const suite = suites[0];
  assert.ok(suite);
  return suite.cases.map((c) => caseResult(suite, c, 'offline', evaluator.evaluate(c), 0));
}

describe('skiff test offline, every expectation kind', () => {
  test('each case passes or fails as its name says: the right cases pass, the deliberately wrong ones fail', () => {
    const results = runFixture();
    assert.equal(results.length, Object.keys(POLICY_CASES).length);
    const wrong = results.filter((r) => (r.outcome === 'pass') !== POLICY_CASES[r.name]?.pass);
    assert.deepEqual(wrong.map((r) => `${r.name}: ${r.outcome} ${r.failures.join('; ')}`), []);
  });

  test('a failure says what was expected, what happened and why', () => {
    const byName = new Map(runFixture().map((r) => [r.name, r]));
    const failure = (name: string) => byName.get(name)?.failures.join('\n') ?? '';
    assert.match(failure('status 503 for jason'), /^status: expected 503 for every request, got 200 for 100%$/);
    assert.match(failure('jason goes to v1'), /destination: expected every request to go to reviews subset v1, they went to reviews\.default\.svc\.cluster\.local subset v2 \(100%\)/);
    assert.match(failure('the canary splits 50/50'), /split: expected 50% to v1 \(\d+\.\.\d+ of 1000 at 99\.9%\), got 800 \(80%\)/);
    assert.match(failure('jason matches canary'), /route: expected the route named "canary", matched "jason-to-v2" \(default\/reviews http\[0\]/);
    assert.match(failure('reviews keeps x-debug'), /headers\.request\.set: expected x-debug: 1 in the request as the destination got it, it was not there/);
    assert.match(failure('testers wait 200ms'), /fault\.delay: expected 200ms, the route delays 100 ms for 100%/);
    assert.match(failure('jason retries five times'), /retries: expected \{"attempts":5\}, the route retries 2 times, 1000 ms per try on/);
    assert.match(failure('jason times out after 5s'), /timeout: expected 5s, the route's timeout is 3000 ms/);
    assert.match(failure('shadow is mirrored to v1'), /mirror: expected reviews subset v1, the route mirrors to reviews\.default\.svc\.cluster\.local subset v2 at 50%/);
    assert.match(failure('frontend may call ratings'), /status: expected 200 for every request, got 403 for 100%/);
    const why = byName.get('frontend may call ratings')?.why.join('\n') ?? '';
    assert.match(why, /ratings\.default's sidecar denies \(403\): .*ratings-callers/);
    assert.match(failure('an unknown caller cannot be asked'), /request\.from: unknown workload "nobody"; known workloads: gateway \(istio-ingressgateway\.istio-system\), frontend/);
    assert.equal(byName.get('an unknown caller cannot be asked')?.outcome, 'error');
  });

  test('the text report and JUnit XML name each case; JUnit escapes what it must', () => {
    const results = runFixture();
    const text = textReport(results);
    assert.match(text, /✔ jason goes to v2/);
    assert.match(text, /✖ jason goes to v1\n\s+request\s+GET http:\/\/reviews:9080\/reviews\/1 from frontend \(end-user: jason\)\n\s+failed\s+destination:/);
    assert.match(text, new RegExp(`${results.length} cases: \\d+ passed, \\d+ failed, 1 could not be run$`));
    const xml = junitXml(results);
    assert.match(xml, new RegExp(`<testsuites name="skiff test" tests="${results.length}" failures="\\d+" errors="1"`));
    assert.match(xml, /<testcase name="frontend with reviews&apos; identity may call ratings" classname="reviews-policy \(offline\)" file="tests\.yaml" time="0\.000"\/>/);
    assert.match(xml, /<failure message="status: expected 503 for every request, got 200 for 100%">/);
    assert.match(junitXml([{ ...results[0], outcome: 'fail', failures: ['a <b> & "c" \u0001'] } as (typeof results)[0]]), /message="a &lt;b&gt; &amp; &quot;c&quot; "/);
  });
});

describe('MeshTest files: wrong fields are errors naming file, case and field', () => {
  const file = (cases: string) => `apiVersion: skiff.dev/v1alpha1\nkind: MeshTest\nmetadata: {name: t}\nspec:\n  cases:\n${cases}`;
  const errors = (text: string) => parseMeshTestFile('t.yaml', text).errors;

  test('a misspelt field gets a did-you-mean; a wrong value says what is expected', () => {
    assert.deepEqual(errors(file('  - name: a\n    request: {from: frontend, url: "http://reviews:9080/"}\n    expect: {stauts: 200}\n')), ['t.yaml: MeshTest t, case "a": expect.stauts: unknown field; did you mean "status"?']);
    assert.deepEqual(errors(file('  - name: a\n    request: {form: frontend, url: "http://reviews:9080/"}\n    expect: {status: 200}\n')), ['t.yaml: MeshTest t, case "a": request.from: Invalid input: expected string, received undefined', 't.yaml: MeshTest t, case "a": request.form: unknown field; did you mean "from"?']);
    assert.match(errors(file('  - name: a\n    request: {from: frontend, url: "reviews:9080/"}\n    expect: {status: 200}\n'))[0] ?? '', /case "a": request\.url: an absolute http:\/\/ URL as the app would call it/);
    assert.match(errors(file('  - name: a\n    request: {from: frontend, url: "http://r/"}\n    expect: {timeout: soon}\n'))[0] ?? '', /case "a": expect\.timeout: a duration such as 2s, 500ms or 1m/);
  });

  test('a split must add up to 100 and be judged over enough requests; a case must expect something; names are unique', () => {
    const split = errors(file('  - name: s\n    request: {from: frontend, url: "http://r/"}\n    expect: {split: {v1: 90, v2: 5}}\n'));
    assert.deepEqual(split, ['t.yaml: MeshTest t, case "s": expect.split: the percentages add up to 95, not 100', 't.yaml: MeshTest t, case "s": request.repeat: a split is judged over many requests: set repeat to 100 or more (1000 tells 90/10 from 80/20), got 1']);
    assert.match(errors(file('  - name: e\n    request: {from: frontend, url: "http://r/"}\n    expect: {}\n'))[0] ?? '', /case "e": expect: expects nothing/);
    assert.match(errors(file('  - name: d\n    request: {from: f, url: "http://r/"}\n    expect: {status: 200}\n  - name: d\n    request: {from: f, url: "http://r/"}\n    expect: {status: 200}\n'))[0] ?? '', /two cases are named "d"/);
  });

  test('another kind, or no MeshTest at all, is an error', () => {
    assert.match(errors('apiVersion: skiff.dev/v1alpha1\nkind: MeshTests\nmetadata: {name: t}\n')[0] ?? '', /kind MeshTests is not a MeshTest \(did you mean "MeshTest"\?\)/);
    assert.match(errors('# nothing\n')[0] ?? '', /no MeshTest in it/);
    assert.match(errors(file('  - name: a\n    request: {from: f, url: "http://r/"\n'))[0] ?? '', /YAML syntax error/);
  });
});
