// Shared by the tests only: build documents and summarise validation results.
import assert from 'node:assert/strict';
import type { ValidationIssue } from './resources.js';
import { validateResource, type ResourceResult } from './validate.js';

export const SOURCE = { file: 'mesh.yaml', line: 1 };

export function doc(kind: string, spec: unknown, metadata: unknown = { name: 'reviews' }, apiVersion = 'networking.istio.io/v1') {
  return { apiVersion, kind, metadata, spec };
}

export function check(document: unknown): ResourceResult {
  return validateResource(document, SOURCE);
}

/** "error spec.hosts: must not be empty" per issue: compact and exact to assert on. */
export function summary(issues: readonly ValidationIssue[]): string[] {
  return issues.map((i) => `${i.severity} ${i.field}: ${i.message}`);
}

export function assertValid(r: ResourceResult): void {
  assert.deepEqual(summary(r.issues), []);
  assert.ok(r.resource, 'expected a resource');
}

/** Exactly one error, at `field`, whose message contains `text`; and no resource. */
export function assertOneError(r: ResourceResult, field: string, text: string | RegExp): void {
  const errors = r.issues.filter((i) => i.severity === 'error');
  assert.equal(errors.length, 1, `expected one error, got:\n${summary(r.issues).join('\n')}`);
  const [e] = errors as [ValidationIssue];
  assert.equal(e.field, field, summary(r.issues).join('\n'));
  if (typeof text === 'string') assert.ok(e.message.includes(text), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(text)}`);
  else assert.match(e.message, text);
  assert.equal(r.resource, undefined);
}
