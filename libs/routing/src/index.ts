// Pure request -> route -> destination logic, shared by the proxy, the gateway and `skiff simulate`.
export { compileRouteConfig, compileRouteConfigs, type CompiledRouteConfig, type CompiledVirtualHost } from './compile.js';
export { DomainIndex, stripPort, type DomainHit, type DomainKind } from './domains.js';
export { explainRoute, formatExplanation, type RouteExplanation, type RouteVerdict } from './explain.js';
export { compileMatch, type CompiledMatch } from './match.js';
export type { Condition } from './conditions.js';
export { findQueryParam, parseQuery } from './query-string.js';
export { compileRe2 } from './re2.js';
export { RequestView, type RouteRequest } from './request.js';
export { RoundRobin } from './round-robin.js';
export { compileRoute, pickCluster, type CompiledRoute, type RouteHit } from './route.js';
export { lookupVirtualHost, selectRoute, type RouteDecision } from './select.js';
export { compileStringMatch, type StringMatcher, type StringMatchOptions } from './string-match.js';
export { pickWeighted, WeightedPicker, type Weighted } from './weighted.js';
export { rewritePath, shadowAuthority } from './rewrite.js';
export { applyHeaderOperations, type HeaderMap, type HeaderOperations } from './header-ops.js';
