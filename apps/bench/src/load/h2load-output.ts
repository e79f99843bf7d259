// Reads the summary of nghttp2's h2load: "finished in 2.01s, 34950.00 req/s, …" and
// "requests: 69900 total, 69940 started, 69900 done, 69900 succeeded, 0 failed, 0 errored, 0 timeout".
export interface H2loadResult {
  requestsPerSecond: number;
  succeeded: number;
  /** failed + errored + timeout: requests that did not get a 2xx-5xx answer. */
  failed: number;
  /** Answers with a status of 400 or more. */
  errorStatuses: number;
}

export function parseH2loadOutput(out: string): H2loadResult {
  const finished = /finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out);
  const requests = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(out);
  const statuses = /status codes: \d+ 2xx, \d+ 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
  if (!finished || !requests || !statuses) throw new Error(`h2load printed no summary (is it nghttp2-client's h2load?): ${out.slice(-500)}`);
  const n = (s: string | undefined) => Number(s);
  return {
    requestsPerSecond: n(finished[1]),
    succeeded: n(requests[1]),
    failed: n(requests[2]) + n(requests[3]) + n(requests[4]),
    errorStatuses: n(statuses[1]) + n(statuses[2]),
  };
}
