// A mistake in how a command was called (bad flag value, unknown workload, malformed URL).
// Commands turn it into exit code 2, as for unknown flags, so scripts can tell "you asked
// wrongly" (2) from "the answer is no" or "the mesh is down" (1).
export class UsageError extends Error {
  override name = 'UsageError';
}
