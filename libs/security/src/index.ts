// @skiff/security: Istio's AuthorizationPolicy decision and PeerAuthentication modes, evaluated
// from a proxy's snapshot. Pure: no I/O, no clocks; the proxy passes in what it knows.
export { compileAuthorization, type AuthorizationEngine, type AuthzDecision } from './engine.js';
export { PolicyCompileError } from './compile-rule.js';
export type { AuthzRequest } from './request.js';
export { compileStringMatch } from './string-match.js';
export { DEFAULT_PEER_AUTH_MODE, peerAuthAccepts, peerAuthModeFor } from './peer-authentication.js';
