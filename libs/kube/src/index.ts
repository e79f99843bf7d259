export * from './inject.js';
export * from './admission-review.js';
export * from './admission.js';
export * from './structural.js';
export * from './crds.js';
export * from './generated.js';
export * from './kustomize.js';
export { injectCompose, looksLikeCompose, type ComposeInjectOptions, type ComposeInjectResult } from './compose-inject.js';
