// Istio's HTTPRewrite and Headers operations: the route's and the chosen cluster's request
// edits before the request goes on, and their response edits on the way back.
import { applyHeaderOperations } from '@skiff/routing';
import { rewritePath } from '@skiff/routing';
import { listOf, recordOf } from '../../http1/field-list.js';
import type { HttpFilter } from '../http-filter.js';

export const requestHeadersFilter: HttpFilter = {
  name: 'header-ops',
  decodeHeaders(x) {
    const action = x.action;
    if (!action) return undefined;
    const match = x.routeMatch;
    if (action.rewrite?.uri !== undefined) x.path = rewritePath(x.path, match?.uri, action.rewrite.uri);
    if (action.rewrite?.authority !== undefined) x.headers['host'] = action.rewrite.authority;
    const routeOps = x.routeHeaders;
    applyHeaderOperations(x.headers, routeOps?.request);
    applyHeaderOperations(x.headers, x.weighted?.headers?.request);
    if (routeOps?.response) x.responseOps.push(routeOps.response);
    if (x.weighted?.headers?.response) x.responseOps.push(x.weighted.headers.response);
    return undefined;
  },
  encodeHeaders(x, response) {
    if (x.responseOps.length === 0) return;
    const record = recordOf(response.headers);
    for (const ops of x.responseOps) applyHeaderOperations(record, ops);
    response.headers = listOf(record);
  },
};
