// The mesh every Istio-task test starts from; the tasks' YAML itself lives in @skiff/scenarios
// (the scenarios and the workshop labs use the same files).
import { ratingsAllV1, ratingsDestinationRule, reviewsAllV1, reviewsDestinationRule } from '@skiff/scenarios';
import { gatewayYaml } from './fixtures.js';

export { reviewsDestinationRule, ratingsDestinationRule, reviewsAllV1, ratingsAllV1, reviewsTestV2, reviewsWeighted, ratingsTestDelay, ratingsTestAbort, reviewsAbort, reviewsV2Timeout, reviewsV2Retries, reviewsCircuitBreaker, reviewsOutlierDetection, reviewsAnyVersion, reviewsMirrorV2 } from '@skiff/scenarios';

/** The mesh every task starts from: gateway -> frontend, everything on v1. */
export function bookinfoBaseline(): Record<string, string> {
  return {
    'gateway.yaml': gatewayYaml,
    'reviews-dr.yaml': reviewsDestinationRule,
    'ratings-dr.yaml': ratingsDestinationRule,
    'reviews-vs.yaml': reviewsAllV1,
    'ratings-vs.yaml': ratingsAllV1,
  };
}

