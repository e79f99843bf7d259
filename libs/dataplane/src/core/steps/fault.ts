// Fault injection (Istio's HTTPFaultInjection): decided once per request, before any upstream
// call, with the injected random source so tests are exact.
import type { RouteAction } from '@skiff/api';

type Fault = NonNullable<Extract<RouteAction, { kind: 'route' }>['fault']>;

export interface FaultPlan {
  delayMs: number;
  abortStatus?: number;
  abortGrpcStatus?: number;
}

const chance = (percent: number, random: () => number) => percent >= 100 || (percent > 0 && random() * 100 < percent);

export function planFault(fault: Fault | undefined, random: () => number): FaultPlan {
  if (!fault) return { delayMs: 0 };
  const delayMs = fault.delay && chance(fault.delay.percent, random) ? fault.delay.fixedDelayMs : 0;
  const abort = fault.abort && chance(fault.abort.percent, random) ? fault.abort : undefined;
  if (!abort) return { delayMs };
  return abort.grpcStatus === undefined ? { delayMs, abortStatus: abort.httpStatus } : { delayMs, abortStatus: abort.httpStatus, abortGrpcStatus: abort.grpcStatus };
}
