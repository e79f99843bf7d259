// Results of a `skiff test` run, and the JUnit XML CI systems read (GitHub Actions and GitLab
// show its failures beside the job): one <testsuite> per MeshTest, one <testcase> per case.

export interface CaseResult {
  suite: string;
  file: string;
  name: string;
  mode: 'offline' | 'live';
  /** pass, fail, or error (the case could not be asked: an unknown workload, an unreachable mesh). */
  outcome: 'pass' | 'fail' | 'error';
  /** The request, in one line: "GET http://reviews:9080/reviews/1 from frontend (end-user: jason) ×1000". */
  request: string;
  failures: string[];
  /** Why the proxies did what they did: the route decision and the policy verdicts. */
  why: string[];
  notes: string[];
  durationMs: number;
}

const xml = (s: string) =>
  // Characters XML 1.0 cannot hold at all are dropped; the five special ones are escaped.
  // eslint-disable-next-line no-control-regex
  s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

export function junitXml(results: readonly CaseResult[]): string {
  const suites = new Map<string, CaseResult[]>();
  for (const r of results) suites.set(`${r.file}\u0000${r.suite}`, [...(suites.get(`${r.file}\u0000${r.suite}`) ?? []), r]);
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const count = (list: readonly CaseResult[], o: CaseResult['outcome']) => list.filter((r) => r.outcome === o).length;
  const lines = [`<?xml version="1.0" encoding="UTF-8"?>`, `<testsuites name="skiff test" tests="${results.length}" failures="${count(results, 'fail')}" errors="${count(results, 'error')}" time="${seconds(results.reduce((a, r) => a + r.durationMs, 0))}">`];
  for (const list of suites.values()) {
    const first = list[0] as CaseResult;
    lines.push(`  <testsuite name="${xml(first.suite)}" file="${xml(first.file)}" tests="${list.length}" failures="${count(list, 'fail')}" errors="${count(list, 'error')}" time="${seconds(list.reduce((a, r) => a + r.durationMs, 0))}">`);
    for (const r of list) {
      const open = `    <testcase name="${xml(r.name)}" classname="${xml(`${r.suite} (${r.mode})`)}" file="${xml(r.file)}" time="${seconds(r.durationMs)}"`;
      if (r.outcome === 'pass') {
        lines.push(`${open}/>`);
        continue;
      }
      const tag = r.outcome === 'fail' ? 'failure' : 'error';
      const body = [r.request, ...r.failures, ...(r.why.length > 0 ? ['why:', ...r.why.map((w) => `  ${w}`)] : [])].join('\n');
      lines.push(`${open}>`, `      <${tag} message="${xml(r.failures[0] ?? r.outcome)}">${xml(body)}</${tag}>`, '    </testcase>');
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}

/** The text report: one line per case, and under a failure the request, each failed part and why. */
export function textReport(results: readonly CaseResult[]): string {
  const out: string[] = [];
  let suite = '';
  for (const r of results) {
    if (`${r.file} ${r.suite}` !== suite) {
      suite = `${r.file} ${r.suite}`;
      out.push(`${r.file}: MeshTest ${r.suite} (${r.mode})`);
    }
    const mark = r.outcome === 'pass' ? '✔' : '✖';
    out.push(`  ${mark} ${r.name}${r.outcome === 'error' ? ' (could not be run)' : ''}`);
    if (r.outcome === 'pass') continue;
    out.push(`      request   ${r.request}`);
    for (const f of r.failures) out.push(`      ${r.outcome === 'error' ? 'error' : 'failed'}    ${f}`);
    for (const w of r.why) out.push(`      why       ${w}`);
    for (const n of r.notes) out.push(`      note      ${n}`);
  }
  const pass = results.filter((r) => r.outcome === 'pass').length;
  const fail = results.filter((r) => r.outcome === 'fail').length;
  const error = results.filter((r) => r.outcome === 'error').length;
  out.push('', `${results.length} case${results.length === 1 ? '' : 's'}: ${pass} passed, ${fail} failed${error > 0 ? `, ${error} could not be run` : ''}`);
  return out.join('\n');
}

export function describeRequest(req: { from: string; method: string; url: string; headers: Record<string, string>; repeat: number; principal?: string | undefined }): string {
  const headers = Object.entries(req.headers).map(([k, v]) => `${k}: ${v}`);
  return `${req.method} ${req.url} from ${req.from}${req.principal ? ` as ${req.principal}` : ''}${headers.length > 0 ? ` (${headers.join('; ')})` : ''}${req.repeat > 1 ? ` ×${req.repeat}` : ''}`;
}
