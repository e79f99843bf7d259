// One line per issue, in the file:line: severity: style compilers use, so editors and CI can
// jump to the spot:
//   config/reviews.yaml:12: error: VirtualService default/reviews: spec.http[0].route[1].weight: weights sum to 110, must sum to 100
import type { ValidationIssue } from './resources.js';

export function formatIssue(i: ValidationIssue): string {
  const field = i.field === '' ? '' : `${i.field}: `;
  return `${i.file}:${i.line}: ${i.severity}: ${i.resource}: ${field}${i.message}`;
}

/** Every issue on its own line, then a count, e.g. "2 errors, 1 warning". Empty string for none. */
export function formatIssues(issues: readonly ValidationIssue[]): string {
  if (issues.length === 0) return '';
  const errors = issues.filter((i) => i.severity === 'error').length;
  const warnings = issues.length - errors;
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return [...issues.map(formatIssue), `${count(errors, 'error')}, ${count(warnings, 'warning')}`].join('\n');
}
