import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { lineOf, run, summary } from '../test-helpers.js';
import { matchesEverything } from './unreachable-routes.js';

function vs(http: string): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
${http}`;
}

const route = (match?: string) => (match === undefined ? '' : `    - match:\n        - ${match}\n      route:\n        - destination: { host: reviews }\n`) || '    - route:\n        - destination: { host: reviews }\n';

describe('IST0130 unreachable http route', () => {
  test('every route after one without a match is reported at its own line', () => {
    const text = vs(route('uri: { prefix: /a }') + route() + route('uri: { prefix: /b }') + route('headers: { x: { exact: "1" } }'));
    const { findings, fileIssues } = run({ 'vs.yaml': text });
    assert.deepEqual(summary(fileIssues), []);
    const reason = 'spec.http[1] before it has no match, so it takes every request (routes are tried in order). Move the catch-all route last, or give it a match.';
    // An http entry's line is that of its "- match:", one above its first condition.
    assert.deepEqual(summary(findings), [
      `warning vs.yaml:${lineOf(text, '/b') - 1} VirtualService default/reviews spec.http[2]: [IST0130] this route is never used: ${reason}`,
      `warning vs.yaml:${lineOf(text, 'headers') - 1} VirtualService default/reviews spec.http[3]: [IST0130] this route is never used: ${reason}`,
    ]);
  });

  test('a match that matches everything (prefix "/") is a catch-all too, and the message names it', () => {
    const text = vs(route('uri: { prefix: /api }') + '    - match:\n        - uri: { exact: /x }\n        - uri: { prefix: / }\n      route:\n        - destination: { host: reviews }\n' + route());
    const { findings } = run({ 'vs.yaml': text });
    assert.equal(findings.length, 1, summary(findings).join('\n'));
    assert.equal(findings[0]?.field, 'spec.http[2]');
    assert.match(findings[0]?.message ?? '', /spec\.http\[1\]\.match\[1\] before it matches every request/);
  });

  test('conditional routes followed by one catch-all, last: nothing to report', () => {
    const text = vs(route('uri: { prefix: /a }') + route('method: { exact: GET }') + route('port: 9080') + route('sourceLabels: { app: frontend }') + route());
    assert.deepEqual(summary(run({ 'vs.yaml': text }).findings), []);
  });

  test('which matches match everything', () => {
    assert.equal(matchesEverything({}), true);
    assert.equal(matchesEverything({ name: 'all' }), true);
    assert.equal(matchesEverything({ uri: { prefix: '/' }, ignoreUriCase: true }), true);
    assert.equal(matchesEverything({ uri: { regex: '.*' } }), true);
    assert.equal(matchesEverything({ headers: {} }), true);
    assert.equal(matchesEverything({ uri: { prefix: '/a' } }), false);
    assert.equal(matchesEverything({ uri: { exact: '/' } }), false);
    assert.equal(matchesEverything({ headers: { 'end-user': {} } }), false);
    assert.equal(matchesEverything({ gateways: ['mesh'] }), false);
    assert.equal(matchesEverything({ sourceNamespace: 'prod' }), false);
    assert.equal(matchesEverything({ port: 80 }), false);
  });
});
