// The security.istio.io schemas and the warnings run on documents that pass them.
export * from './common.js';
export * from './peer-authentication.js';
export * from './authorization-policy.js';
export * from './request-authentication.js';
export { adviseResource, FAIL_CLOSED, type Advice } from './advice.js';
