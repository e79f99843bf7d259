export * from './inject.js';
export * from './admission-review.js';
export * from './admission.js';
