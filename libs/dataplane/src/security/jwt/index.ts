export * from './jwt-authenticator.js';
export type { JwtRule } from './jwt-rule.js';
export { JwtStatus, type JwtFailureMessage } from './jwt-status.js';
export { withoutQueryParams } from './token-extractor.js';
export type { JwksSource } from './jwks-source.js';
