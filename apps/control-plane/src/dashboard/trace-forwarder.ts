// Passes each OTLP export the control plane receives on to a collector as well (Jaeger in the
// compose observability profile), so the dashboard and Jaeger both see every trace without the
// proxies sending twice. Best effort and quiet: compose names Jaeger whether or not its profile
// runs, so an absent collector is said once (and again only after it had worked).
import type { Logger } from '@skiff/telemetry';

export type TraceForwarder = (body: Buffer) => void;

export function createTraceForwarder(url: string, logger: Logger): TraceForwarder {
  let reachable: boolean | undefined;
  return (body) => {
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(5000) })
      .then(async (res) => {
        await res.body?.cancel();
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        if (reachable !== true) logger.info({ url }, 'forwarding spans to the trace collector');
        reachable = true;
      })
      .catch((error: unknown) => {
        const why = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
        if (reachable === false) return logger.debug({ url, error: why }, 'trace collector still unreachable');
        reachable = false;
        logger.info({ url, error: why }, 'no trace collector reachable at --trace-forward (with compose: start the observability profile for Jaeger); the built-in trace store keeps the traces');
      });
  };
}
