// Retry policy for a route: the VirtualService's, or Istio's default when it gives none
// (2 attempts on connect-failure, refused-stream, unavailable, cancelled and 503).
import type { HTTPRetry } from '@skiff/api';
import type { Warn } from './destination-rules.js';
import { parseDurationMs } from './duration.js';
import type { RetryPolicyInput } from './snapshot-types.js';

export const DEFAULT_RETRY_ON = ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes'] as const;
export const DEFAULT_RETRIABLE_STATUS_CODES = [503] as const;
export const DEFAULT_RETRY_ATTEMPTS = 2;

export function retryPolicy(retries: HTTPRetry | undefined, where: string, warn: Warn): RetryPolicyInput {
  if (!retries) return { attempts: DEFAULT_RETRY_ATTEMPTS, retryOn: [...DEFAULT_RETRY_ON], retriableStatusCodes: [...DEFAULT_RETRIABLE_STATUS_CODES] };
  // attempts: 0 turns retries off; say so explicitly rather than leave the policy out.
  if (retries.attempts === 0) return { attempts: 0, retryOn: [], retriableStatusCodes: [] };
  const policy: RetryPolicyInput = { attempts: retries.attempts, retryOn: [], retriableStatusCodes: [] };
  if (retries.perTryTimeout !== undefined) {
    try {
      policy.perTryTimeoutMs = parseDurationMs(retries.perTryTimeout);
    } catch (error) {
      warn(`${where}.retries.perTryTimeout: ${(error as Error).message}; no per-try timeout applied.`);
    }
  }
  if (retries.retryOn === undefined || retries.retryOn.trim() === '') {
    policy.retryOn = [...DEFAULT_RETRY_ON];
    policy.retriableStatusCodes = [...DEFAULT_RETRIABLE_STATUS_CODES];
    return policy;
  }
  // Istio lets status codes sit in retryOn ("5xx,503,gateway-error"); they become retriable codes.
  const conditions: string[] = [];
  const codes: number[] = [];
  for (const item of retries.retryOn.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (/^\d{3}$/.test(item)) codes.push(Number(item));
    else if (!conditions.includes(item)) conditions.push(item);
  }
  if (codes.length > 0 && !conditions.includes('retriable-status-codes')) conditions.push('retriable-status-codes');
  policy.retryOn = conditions;
  policy.retriableStatusCodes = codes;
  return policy;
}
