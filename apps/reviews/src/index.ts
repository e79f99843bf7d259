export { createApp, DEFAULT_RATINGS_URL, REVIEWS_VERSIONS, type Review, type ReviewsAppOptions, type ReviewsBody, type ReviewsVersion } from './app.js';
export { applyBehaviourUpdate, shouldFail, type Behaviour } from '@skiff/sample-kit';
export { readConfig, type ReviewsConfig } from './config.js';
export { createOutboundDispatcher } from './upstream.js';
