// Envoy's request id: every request carries an x-request-id; the caller's is kept.
import { ensureRequestId } from '../../core/request-id.js';
import type { HttpFilter } from '../http-filter.js';

export const requestIdFilter: HttpFilter = {
  name: 'request-id',
  decodeHeaders(x) {
    ensureRequestId(x.headers);
    return undefined;
  },
};
