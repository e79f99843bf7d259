// Istio durations -> whole milliseconds, as the snapshot carries them (its schema wants
// integers; "1500us" becomes 2). Parsing itself is @skiff/api's, the same the validator uses,
// so anything that passed validation parses here.
import { parseDuration } from '@skiff/api';

/** Throws an Error naming the bad text when it is not an Istio duration. */
export function parseDurationMs(text: string): number {
  return Math.round(parseDuration(text));
}
