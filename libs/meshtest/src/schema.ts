// The MeshTest file: what a mesh policy must do, written in the cluster's own style
// (apiVersion skiff.dev/v1alpha1, kind MeshTest). Each case is a request from a workload and what
// must come of it. A wrong field is an error that names the file, the case and the field.
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { closest, didYouMean, formatFieldPath, parseDuration } from '@skiff/api';

export const MESHTEST_API_VERSION = 'skiff.dev/v1alpha1';

const strict = <S extends z.ZodRawShape>(shape: S) => z.strictObject(shape);
const duration = z.string().refine((s) => {
  try {
    parseDuration(s);
    return true;
  } catch {
    return false;
  }
}, 'a duration such as 2s, 500ms or 1m');
const percent = z.number().min(0).max(100);
const status = z.int().min(100).max(599);
const headerName = z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'an HTTP header name');

const RequestSchema = strict({
  /** The calling workload: its name ("frontend", "reviews-v1"), id, service, or "gateway". */
  from: z.string().min(1),
  method: z.string().regex(/^[A-Z]+$/, 'an HTTP method in capitals, e.g. GET').default('GET'),
  url: z.string().regex(/^https?:\/\/[^/?#@\s]+/i, 'an absolute http:// URL as the app would call it, e.g. http://reviews:9080/reviews/1'),
  headers: z.record(headerName, z.string()).default({}),
  /** The caller's identity instead of the from workload's (offline only: live, it is the sidecar's certificate). */
  principal: z.string().min(1).optional(),
  namespace: z.string().min(1).optional(),
  /** Claims of a JWT the request carries, as RequestAuthentication would have validated them (offline). */
  jwt: z.record(z.string(), z.unknown()).optional(),
  body: z.string().optional(),
  /** The port the request is addressed to, when not the URL's. */
  port: z.int().min(1).max(65535).optional(),
  /** How many times to send it (splits need many). */
  repeat: z.int().min(1).max(100_000).default(1),
});

const HeaderExpectationSchema = strict({
  /** Headers that must be there with these values. */
  set: z.record(headerName, z.string()).optional(),
  /** Headers that must not be there. */
  removed: z.array(headerName).optional(),
});

const DestinationSchema = strict({ host: z.string().min(1), subset: z.string().min(1).optional(), port: z.int().min(1).max(65535).optional() });

const ExpectSchema = strict({
  status: status.optional(),
  destination: DestinationSchema.optional(),
  /** Subset (or host) -> percent of requests; they must add up to 100. */
  split: z.record(z.string().min(1), percent).optional(),
  /** The matched route's name (a VirtualService http[].name). */
  route: z.string().min(1).optional(),
  headers: strict({ request: HeaderExpectationSchema.optional(), response: HeaderExpectationSchema.optional() }).optional(),
  mirror: strict({ host: z.string().min(1), subset: z.string().min(1).optional(), percent: percent.optional() }).optional(),
  fault: strict({
    delay: strict({ fixedDelay: duration.optional(), percent: percent.optional() }).optional(),
    abort: strict({ httpStatus: status.optional(), grpcStatus: z.int().min(0).max(16).optional(), percent: percent.optional() }).optional(),
  }).optional(),
  retries: strict({ attempts: z.int().min(0).optional(), perTryTimeout: duration.optional(), retryOn: z.string().min(1).optional() }).optional(),
  /** The route's timeout ("0s": none). */
  timeout: duration.optional(),
});

const CaseSchema = strict({ name: z.string().min(1), request: RequestSchema, expect: ExpectSchema });

const MeshTestSchema = strict({
  apiVersion: z.literal(MESHTEST_API_VERSION),
  kind: z.literal('MeshTest'),
  metadata: strict({ name: z.string().min(1), namespace: z.string().min(1).optional(), labels: z.record(z.string(), z.string()).optional() }),
  spec: strict({ cases: z.array(CaseSchema).min(1) }),
});

export type MeshTestRequest = z.output<typeof RequestSchema>;
export type MeshTestExpect = z.output<typeof ExpectSchema>;
export type MeshTestCase = z.output<typeof CaseSchema>;

export interface MeshTestSuite {
  name: string;
  /** metadata.namespace (default "default"): short hosts in expectations are read in it, as Istio reads a resource's. */
  namespace: string;
  file: string;
  cases: MeshTestCase[];
}

export interface MeshTestFileResult {
  suites: MeshTestSuite[];
  /** "tests/reviews.yaml: MeshTest reviews-policy, case "jason sees v2": expect.sttus: unknown field; did you mean "status"?" */
  errors: string[];
}

const KNOWN_FIELDS: Record<string, readonly string[]> = {
  request: Object.keys(RequestSchema.shape),
  expect: Object.keys(ExpectSchema.shape),
  case: Object.keys(CaseSchema.shape),
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** zod's issue as one line: the field, what is wrong, and a "did you mean" for a misspelt key. */
function describeIssue(issue: z.core.$ZodIssue): { path: PropertyKey[]; message: string } {
  if (issue.code === 'unrecognized_keys') {
    const parent = issue.path[issue.path.length - 1];
    const known = KNOWN_FIELDS[typeof parent === 'string' && parent in KNOWN_FIELDS ? parent : typeof issue.path[issue.path.length - 2] === 'number' ? 'case' : ''] ?? [];
    return { path: [...issue.path, issue.keys[0] ?? ''], message: `unknown field${didYouMean(issue.keys[0] ?? '', known) || (known.length > 0 ? `; expected one of: ${known.join(', ')}` : '')}` };
  }
  return { path: [...issue.path], message: issue.message };
}

/** Splits must add up to 100, and a split needs enough requests to judge. */
function checkCase(c: MeshTestCase): Array<{ path: PropertyKey[]; message: string }> {
  const problems: Array<{ path: PropertyKey[]; message: string }> = [];
  const split = c.expect.split;
  if (split) {
    const total = Object.values(split).reduce((a, b) => a + b, 0);
    if (Math.abs(total - 100) > 1e-9) problems.push({ path: ['expect', 'split'], message: `the percentages add up to ${total}, not 100` });
    if (c.request.repeat < 100) problems.push({ path: ['request', 'repeat'], message: `a split is judged over many requests: set repeat to 100 or more (1000 tells 90/10 from 80/20), got ${c.request.repeat}` });
    if (c.expect.destination) problems.push({ path: ['expect', 'destination'], message: 'give destination (where every request goes) or split (how they divide), not both' });
  }
  if (Object.keys(c.expect).length === 0) problems.push({ path: ['expect'], message: 'expects nothing: a case must check something (status, destination, split, route, headers, mirror, fault, retries or timeout)' });
  return problems;
}

/** Every MeshTest document in one file's text; other kinds are errors, as a typo'd kind would be. */
export function parseMeshTestFile(file: string, text: string): MeshTestFileResult {
  const suites: MeshTestSuite[] = [];
  const errors: string[] = [];
  const docs = parseAllDocuments(text);
  (Array.isArray(docs) ? docs : []).forEach((doc, i) => {
    if (doc.errors.length > 0) {
      errors.push(`${file}: document ${i + 1}: YAML syntax error: ${doc.errors[0]?.message.split('\n')[0]}`);
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      errors.push(`${file}: document ${i + 1}: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (value === null || value === undefined) return;
    if (!isRecord(value) || value['kind'] !== 'MeshTest') {
      const kind = isRecord(value) ? String(value['kind'] ?? '(none)') : '(not a mapping)';
      errors.push(`${file}: document ${i + 1}: kind ${kind} is not a MeshTest${closest(kind, ['MeshTest']) ? ' (did you mean "MeshTest"?)' : ''}; a test file holds MeshTest documents (apiVersion ${MESHTEST_API_VERSION})`);
      return;
    }
    const name = isRecord(value['metadata']) && typeof value['metadata']['name'] === 'string' ? value['metadata']['name'] : `(document ${i + 1})`;
    const parsed = MeshTestSchema.safeParse(value);
    const cases = isRecord(value['spec']) && Array.isArray(value['spec']['cases']) ? value['spec']['cases'] : [];
    const where = (path: readonly PropertyKey[]): string => {
      if (path[0] === 'spec' && path[1] === 'cases' && typeof path[2] === 'number') {
        const c = cases[path[2]];
        const caseName = isRecord(c) && typeof c['name'] === 'string' ? `case "${c['name']}"` : `case ${path[2] + 1}`;
        return `${caseName}: ${formatFieldPath(path.slice(3)) || '(the case)'}`;
      }
      return formatFieldPath(path) || '(the document)';
    };
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const { path, message } = describeIssue(issue);
        errors.push(`${file}: MeshTest ${name}, ${where(path)}: ${message}`);
      }
      return;
    }
    const caseErrors = parsed.data.spec.cases.flatMap((c, k) => checkCase(c).map((p) => `${file}: MeshTest ${name}, ${where(['spec', 'cases', k, ...p.path])}: ${p.message}`));
    const names = new Set<string>();
    parsed.data.spec.cases.forEach((c) => {
      if (names.has(c.name)) caseErrors.push(`${file}: MeshTest ${name}: two cases are named "${c.name}"; names tell failures apart, so make them unique`);
      names.add(c.name);
    });
    if (caseErrors.length > 0) {
      errors.push(...caseErrors);
      return;
    }
    suites.push({ name: parsed.data.metadata.name, namespace: parsed.data.metadata.namespace ?? 'default', file, cases: parsed.data.spec.cases });
  });
  if (suites.length === 0 && errors.length === 0) errors.push(`${file}: no MeshTest in it (expected apiVersion ${MESHTEST_API_VERSION}, kind MeshTest)`);
  return { suites, errors };
}
