// ratings: the leaf of the Bookinfo call graph. Answers the same stars for every product, so
// tests and demos can tell exactly what a caller should show: over HTTP/JSON (GET /ratings/{id})
// and over gRPC (skiff.samples.ratings.v1.Ratings/GetRatings, @skiff/sample-kit's ratings.proto),
// on the same port.
import * as grpc from '@grpc/grpc-js';
import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import { pino } from 'pino';
import type { Logger } from '@skiff/telemetry';
import { applyBehaviourUpdate, createBehaviourControl, createRequestStats, GET_RATINGS_PATH, shouldFail, ratingsService, type GetRatingsRequest, type GetRatingsResponse } from '@skiff/sample-kit';
import { accessLog, jsonErrors, notFound, parseProductId, requestId, requestIdOf } from './http-basics.js';

export interface RatingsAppOptions {
  /** Defaults to a silent logger, so a test does not have to pass one. */
  logger?: Logger;
  failPercent?: number;
  extraLatencyMs?: number;
  /** [0, 1), default Math.random: decides which requests fail under failPercent. */
  random?: () => number;
}

export const RATINGS: Readonly<Record<string, number>> = Object.freeze({ Reviewer1: 5, Reviewer2: 4 });

/** The app that serves traffic, and its demo controls (served on their own loopback port: see @skiff/sample-kit's admin-server). */
export interface RatingsApps {
  app: express.Application;
  admin: express.Application;
  /** GetRatings, counted in the same request stats as the HTTP routes. */
  grpc: grpc.Server;
}

export function createApp(options: RatingsAppOptions = {}): RatingsApps {
  const logger = options.logger ?? pino({ level: 'silent' });
  const random = options.random ?? Math.random;
  const initial = applyBehaviourUpdate({ failPercent: 0, extraLatencyMs: 0 }, { failPercent: options.failPercent ?? 0, extraLatencyMs: options.extraLatencyMs ?? 0 });
  if ('error' in initial) throw new Error(`ratings: ${initial.error}`);
  const behaviour = createBehaviourControl(initial.behaviour, (now) => logger.info({ behaviour: now }, 'behaviour changed'));
  /** Waits the extra latency; true when this request is one that fails on purpose. */
  const misbehave = async (): Promise<boolean> => {
    const { extraLatencyMs } = behaviour.current();
    if (extraLatencyMs > 0) await sleep(extraLatencyMs);
    return shouldFail(behaviour.current(), random);
  };
  const failure = () => `ratings failed on purpose: failPercent is ${behaviour.current().failPercent} (FAIL_PERCENT or POST /admin/behaviour)`;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const stats = createRequestStats();
  app.use(stats.count, requestId(), accessLog(logger));
  const admin = express();
  admin.disable('x-powered-by');
  admin.use(stats.routes, behaviour.routes);
  admin.use(notFound('ratings admin'));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: 'ratings' });
  });

  app.get('/ratings/:id', async (req, res) => {
    const id = parseProductId(req.params.id);
    if (id === undefined) {
      res.status(400).json({ error: 'bad request', message: `product id must be a non-negative integer, got "${req.params.id}"`, requestId: requestIdOf(req) });
      return;
    }
    if (await misbehave()) {
      res.status(503).json({ error: 'injected failure', message: failure(), requestId: requestIdOf(req) });
      return;
    }
    res.json({ id, ratings: RATINGS });
  });

  app.use(notFound('ratings'));
  app.use(jsonErrors('ratings', logger));

  const grpcServer = new grpc.Server();
  grpcServer.addService(ratingsService(), {
    getRatings: async (call: grpc.ServerUnaryCall<GetRatingsRequest, GetRatingsResponse>, done: grpc.sendUnaryData<GetRatingsResponse>) => {
      const headers = Object.fromEntries(Object.entries(call.metadata.getMap()).map(([k, v]) => [k, String(v)]));
      const finished = stats.countOther({ method: 'POST', url: GET_RATINGS_PATH, headers, host: call.getHost() });
      const id = call.request.productId;
      logger.info({ method: GET_RATINGS_PATH, productId: id, requestId: headers['x-request-id'] }, 'gRPC call');
      if (!Number.isInteger(id) || id < 0) done({ code: grpc.status.INVALID_ARGUMENT, details: `product_id must be a non-negative integer, got ${id}` });
      else if (await misbehave()) done({ code: grpc.status.UNAVAILABLE, details: failure() });
      else done(null, { id, ratings: { ...RATINGS } });
      finished();
    },
  });
  return { app, admin, grpc: grpcServer };
}
