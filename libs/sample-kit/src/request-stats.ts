// Counts of the requests this app served, for whole-mesh tests that must see what reached the
// upstream: retries show up as more requests here than the client sent, mirrored copies as a
// Host ending in "-shadow", a circuit breaker as a low maxInFlight. GET /admin/stats reads them,
// POST /admin/stats/reset zeroes them. GET /admin/last-request shows the last counted request's
// headers exactly as the app received them, so tests can see what the sidecar added or removed
// (e.g. a JWT stripped, its payload in x-jwt-payload). Admin and health checks are not counted:
// they are not traffic the mesh routes.
// Shared by the reviews and ratings samples (apps may not import each other).
import express from 'express';
import type { RequestHandler, Router } from 'express';
import type { IncomingHttpHeaders } from 'node:http';

export interface RequestStats {
  /** Requests served, admin and health checks excepted. */
  requests: number;
  /** The same requests by path, e.g. {"/reviews/1": 12}. */
  byPath: Record<string, number>;
  /** The same requests by Host header, e.g. {"reviews:9080": 10, "reviews-shadow:9080": 2}. */
  hosts: Record<string, number>;
  /** Requests being served right now. */
  inFlight: number;
  /** The most requests served at the same time since the last reset. */
  maxInFlight: number;
}

/** The last counted request, as it arrived (before this app's own middleware touched it). */
export interface LastRequest {
  method: string;
  /** Path and query, e.g. "/reviews/1?x=1". */
  url: string;
  headers: IncomingHttpHeaders;
}

const UNCOUNTED = /^\/(admin\/|healthz$)/;

/** A request that did not come through express (a gRPC call): counted as `count` counts, finished by calling what it returns. */
export type CountOther = (request: LastRequest & { host: string }) => () => void;

export function createRequestStats(): { count: RequestHandler; countOther: CountOther; routes: Router; snapshot: () => RequestStats; lastRequest: () => LastRequest | undefined } {
  let stats = empty();
  let last: LastRequest | undefined;
  const countOther: CountOther = (request) => {
    last = { method: request.method, url: request.url, headers: { ...request.headers } };
    const counted = stats; // a reset while this request runs must not make inFlight negative
    counted.requests += 1;
    const path = request.url.split('?')[0] as string;
    counted.byPath[path] = (counted.byPath[path] ?? 0) + 1;
    counted.hosts[request.host] = (counted.hosts[request.host] ?? 0) + 1;
    counted.inFlight += 1;
    counted.maxInFlight = Math.max(counted.maxInFlight, counted.inFlight);
    return () => {
      counted.inFlight -= 1;
    };
  };
  const count: RequestHandler = (req, res, next) => {
    if (UNCOUNTED.test(req.path)) return next();
    const done = countOther({ method: req.method, url: req.originalUrl, headers: req.headers, host: req.headers.host ?? '(none)' });
    res.once('close', done);
    next();
  };
  const routes = express.Router();
  routes.get('/admin/stats', (_req, res) => {
    res.json(stats);
  });
  routes.post('/admin/stats/reset', (_req, res) => {
    stats = empty();
    last = undefined;
    res.json(stats);
  });
  routes.get('/admin/last-request', (_req, res) => {
    if (last === undefined) {
      res.status(404).json({ error: 'not found', message: 'no request served since the app started or since the last POST /admin/stats/reset; send one first' });
      return;
    }
    res.json(last);
  });
  return { count, countOther, routes, snapshot: () => stats, lastRequest: () => last };
}

function empty(): RequestStats {
  return { requests: 0, byPath: {}, hosts: {}, inFlight: 0, maxInFlight: 0 };
}
