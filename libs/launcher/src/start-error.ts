import { indentLines } from './output-format.js';
import type { ExitStatus } from './process-spec.js';

export type StartFailure = 'spawn-failed' | 'exited' | 'timeout' | 'stopped';

/** Why a process did not become ready, with the end of its output to show the user. */
export class ProcessStartError extends Error {
  override readonly name = 'ProcessStartError';

  constructor(
    readonly processName: string,
    readonly failure: StartFailure,
    /** One line, e.g. "exited with code 1 before it became ready". */
    readonly summary: string,
    readonly lastLines: string[],
    readonly hint: string,
    readonly exitStatus?: ExitStatus,
  ) {
    const output = failure === 'spawn-failed' ? '' : `\nLast ${lastLines.length} lines of its output:\n${indentLines(lastLines)}`;
    super(`${processName} ${summary}.${output}\n${hint}`);
  }
}
