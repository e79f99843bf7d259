// Counts of the requests this app served, for whole-mesh tests that must see what reached the
// upstream: retries show up as more requests here than the client sent, mirrored copies as a
// Host ending in "-shadow", a circuit breaker as a low maxInFlight. GET /admin/stats reads them,
// POST /admin/stats/reset zeroes them. Admin and health checks are not counted: they are not
// traffic the mesh routes. (The same file lives in reviews and ratings: apps may not import
// each other.)
import express from 'express';
import type { RequestHandler, Router } from 'express';

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

const UNCOUNTED = /^\/(admin\/|healthz$)/;

export function createRequestStats(): { count: RequestHandler; routes: Router; snapshot: () => RequestStats } {
  let stats = empty();
  const count: RequestHandler = (req, res, next) => {
    if (UNCOUNTED.test(req.path)) return next();
    const counted = stats; // a reset while this request runs must not make inFlight negative
    counted.requests += 1;
    counted.byPath[req.path] = (counted.byPath[req.path] ?? 0) + 1;
    const host = req.headers.host ?? '(none)';
    counted.hosts[host] = (counted.hosts[host] ?? 0) + 1;
    counted.inFlight += 1;
    counted.maxInFlight = Math.max(counted.maxInFlight, counted.inFlight);
    res.once('close', () => {
      counted.inFlight -= 1;
    });
    next();
  };
  const routes = express.Router();
  routes.get('/admin/stats', (_req, res) => {
    res.json(stats);
  });
  routes.post('/admin/stats/reset', (_req, res) => {
    stats = empty();
    res.json(stats);
  });
  return { count, routes, snapshot: () => stats };
}

function empty(): RequestStats {
  return { requests: 0, byPath: {}, hosts: {}, inFlight: 0, maxInFlight: 0 };
}
