export { createApp, RATINGS, type RatingsAppOptions } from './app.js';
export { readConfig, type RatingsConfig } from './config.js';
