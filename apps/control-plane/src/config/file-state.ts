// Per-file bookkeeping of the config directory. A file is accepted or rejected as a whole: if
// any document has an error, the file's previous good version stays in force, so a typo can
// never take half a change live or silently drop routes.
import { fileHasErrors, parseConfigFile, type Loaded, type ValidationIssue } from '@skiff/api';

export interface FileState {
  file: string;
  /** Resources in force from this file (the last version that validated). */
  resources: Loaded[];
  /** Issues of the latest version read, errors and warnings. */
  issues: ValidationIssue[];
  /** True when the latest version was rejected and an older one (or nothing) is in force. */
  rejected: boolean;
}

export function nextFileState(previous: FileState | undefined, file: string, text: string): FileState {
  const { resources, issues } = parseConfigFile(file, text);
  if (fileHasErrors(issues)) {
    return { file, resources: previous?.resources ?? [], issues, rejected: true };
  }
  return { file, resources, issues, rejected: false };
}
