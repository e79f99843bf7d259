// Per-file bookkeeping of the config directory. A file is accepted or rejected as a whole: if
// any document has an error, the file's previous good version stays in force, so a typo can
// never take half a change live or silently drop routes. A file that becomes empty keeps what
// it defined in force too (an editor or a script that truncates, then writes, must not empty the
// mesh): deleting the file is how its resources leave. Pure.
import { fileHasErrors, type Loaded, type ValidationIssue } from '@skiff/api';

export interface FileState {
  file: string;
  /** Resources in force from this file (the last version that validated). */
  resources: Loaded[];
  /** Issues of the latest version read, errors and warnings. */
  issues: ValidationIssue[];
  /** True when the latest version was rejected and an older one (or nothing) is in force. */
  rejected: boolean;
  /** Size of the version in force. */
  bytes: number;
}

/** What the parser made of one version of a file. */
export interface ParsedFile {
  resources: Loaded[];
  issues: ValidationIssue[];
  /** WorkloadEntries and WorkloadGroups: not the control plane's, but not an empty file either. */
  workloads?: number;
}

export function nextFileState(previous: FileState | undefined, file: string, parsed: ParsedFile, bytes: number): FileState {
  const { resources, issues } = parsed;
  if (fileHasErrors(issues)) {
    return { file, resources: previous?.resources ?? [], issues, rejected: true, bytes: previous?.bytes ?? 0 };
  }
  if (resources.length === 0 && issues.length === 0 && !parsed.workloads) {
    const held = previous?.resources ?? [];
    const message =
      held.length > 0
        ? `the file has no resources now (empty, or only comments); the ${held.length} resource(s) it defined stay in force. Delete the file to remove them`
        : 'the file has no resources (empty, or only comments)';
    const warning: ValidationIssue = { severity: 'warning', file, line: 1, resource: '(file)', field: '', message };
    return { file, resources: held, issues: [warning], rejected: held.length > 0, bytes: held.length > 0 ? (previous?.bytes ?? 0) : bytes };
  }
  return { file, resources, issues, rejected: false, bytes };
}

/** A version of the file that could not be read or was refused before parsing (size, type). */
export function refusedFileState(previous: FileState | undefined, file: string, message: string): FileState {
  return {
    file,
    resources: previous?.resources ?? [],
    issues: [{ severity: 'error', file, line: 1, resource: '(file)', field: '', message }],
    rejected: true,
    bytes: previous?.bytes ?? 0,
  };
}
