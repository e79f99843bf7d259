// Plain-language messages for zod's built-in issues, passed per parse (never set globally, so
// other zod users in the same process keep their own messages).
import type { z } from 'zod';
import { didYouMean } from './suggest.js';

export const MISSING_FIELD_MESSAGE = 'required field is missing';

type RawIssue = Parameters<z.core.$ZodErrorMap>[0];

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value)',
  record: 'a mapping (key: value)',
};

/** What a YAML value looks like to a user. */
export function describeValue(v: unknown): string {
  if (v === null) return 'an empty value';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'object') return 'a mapping';
  return typeof v;
}

export function issueMessage(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return MISSING_FIELD_MESSAGE;
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      return `expected ${expected}, got ${describeValue(issue.input)}`;
    }
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'array') return min <= 1 ? 'must not be empty' : `must have at least ${min} entries`;
      if (issue.origin === 'string') return min <= 1 ? 'must not be empty' : `must be at least ${min} characters`;
      return `must be ${issue.inclusive ? 'at least' : 'greater than'} ${min}, got ${describeValue(issue.input)}`;
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'array') return `must have at most ${max} entries`;
      if (issue.origin === 'string') return `must be at most ${max} characters`;
      return `must be ${issue.inclusive ? 'at most' : 'less than'} ${max}, got ${describeValue(issue.input)}`;
    }
    case 'invalid_value': {
      const values = issue.values.map((v) => String(v));
      const got = typeof issue.input === 'string' ? issue.input : undefined;
      const list = values.length === 1 ? JSON.stringify(values[0]) : `one of ${values.join(', ')}`;
      if (issue.input === undefined) return `${MISSING_FIELD_MESSAGE}; set it to ${list}`;
      return `must be ${list}, got ${describeValue(issue.input)}${got === undefined ? '' : didYouMean(got, values)}`;
    }
    default:
      return undefined;
  }
}
