export { createApp, DEFAULT_REVIEWS_URL, type FrontendAppOptions } from './app.js';
export { readConfig, type FrontendConfig } from './config.js';
export { createOutboundDispatcher } from './upstream.js';
