// Istio's fault injection (Envoy's fault filter): a delay before the request goes on, or an
// abort answered here, decided once per request with the listener's random source.
import { faultAbort } from '../../core/errors.js';
import { planFault } from '../../core/steps/fault.js';
import type { HttpExchange } from '../http-exchange.js';
import type { DecodeResult, HttpFilter } from '../http-filter.js';

export function faultFilter(random: () => number): HttpFilter {
  return {
    name: 'fault',
    decodeHeaders(x) {
      const fault = x.action?.fault;
      if (!fault) return undefined;
      const plan = planFault(fault, random);
      const abort = plan.abortStatus === undefined ? undefined : faultAbort(plan.abortStatus, plan.abortGrpcStatus);
      if (plan.delayMs <= 0) return abort;
      x.delayInjected = true;
      return delay(x, plan.delayMs).then(() => abort);
    },
  };
}

/** Waits, or stops waiting when the client leaves (the chain then sees the socket gone). */
function delay(x: HttpExchange, ms: number): Promise<DecodeResult> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      x.stream.onReset = undefined;
      resolve(undefined);
    }, ms);
    x.stream.onReset = () => {
      clearTimeout(timer);
      resolve(undefined);
    };
  });
}
