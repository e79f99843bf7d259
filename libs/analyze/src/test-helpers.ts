// Shared by the tests only: run the real per-file parser and then analyze, as the CLI does.
import { parseConfigFile, type ValidationIssue } from '@skiff/api';
import { analyze } from './analyze.js';
import type { KnownService } from './context.js';

export interface Run {
  /** The per-file validation issues. */
  fileIssues: ValidationIssue[];
  /** What analyze adds. */
  findings: ValidationIssue[];
}

export function run(files: Record<string, string>, services?: KnownService[]): Run {
  const parsed = Object.entries(files).map(([file, text]) => parseConfigFile(file, text));
  const fileIssues = parsed.flatMap((p) => p.issues);
  const findings = analyze({ resources: parsed.flatMap((p) => p.resources), issues: fileIssues, services, sources: files });
  return { fileIssues, findings };
}

/** "warning mesh.yaml:12 VirtualService default/reviews spec.http[1]: [IST0130] ..." per issue: exact to assert on. */
export function summary(issues: readonly ValidationIssue[]): string[] {
  return issues.map((i) => `${i.severity} ${i.file}:${i.line} ${i.resource} ${i.field}: ${i.message}`);
}

/** The 1-based line of the first line of `text` containing `needle` (after line `after`). */
export function lineOf(text: string, needle: string, after = 0): number {
  const lines = text.split('\n');
  const i = lines.findIndex((l, n) => n >= after && l.includes(needle));
  if (i < 0) throw new Error(`"${needle}" not in the text`);
  return i + 1;
}

export function service(host: string, versions: string[], ports = [9080]): KnownService {
  const app = host.split('.')[0] as string;
  return { host, ports, labels: versions.map((version) => ({ app, version })) };
}
