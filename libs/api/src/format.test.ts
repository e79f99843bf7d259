import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIssue, formatIssues } from './format.js';
import type { ValidationIssue } from './resources.js';

const weightIssue: ValidationIssue = {
  severity: 'error',
  file: 'config/reviews.yaml',
  line: 12,
  resource: 'VirtualService default/reviews',
  field: 'spec.http[0].route[1].weight',
  message: 'weights sum to 110, must sum to 100',
};

describe('formatIssue', () => {
  test('file:line: severity: resource: field: message', () => {
    assert.equal(formatIssue(weightIssue), 'config/reviews.yaml:12: error: VirtualService default/reviews: spec.http[0].route[1].weight: weights sum to 110, must sum to 100');
  });
  test('leaves out an empty field', () => {
    assert.equal(
      formatIssue({ severity: 'error', file: 'a.yaml', line: 3, resource: '(document 2)', field: '', message: 'YAML syntax error: Map keys must be unique' }),
      'a.yaml:3: error: (document 2): YAML syntax error: Map keys must be unique',
    );
  });
  test('warnings', () => {
    assert.equal(formatIssue({ ...weightIssue, severity: 'warning', field: 'spec.tcp', message: 'not supported by Skiff, ignored' }), 'config/reviews.yaml:12: warning: VirtualService default/reviews: spec.tcp: not supported by Skiff, ignored');
  });
});

describe('formatIssues', () => {
  test('one line per issue and a count', () => {
    const text = formatIssues([weightIssue, { ...weightIssue, severity: 'warning', line: 20 }, { ...weightIssue, line: 30 }]);
    const lines = text.split('\n');
    assert.equal(lines.length, 4);
    assert.ok(lines[1]?.startsWith('config/reviews.yaml:20: warning:'));
    assert.equal(lines[3], '2 errors, 1 warning');
  });
  test('nothing for no issues', () => assert.equal(formatIssues([]), ''));
});
