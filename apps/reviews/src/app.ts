// reviews: two versions of one service, as in Bookinfo. v1 lists reviews; v2 also asks ratings
// for stars and shows them in black. Which version answered is in the body and in the
// x-skiff-version header, so traffic-shifting demos can count it.
import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import { pino } from 'pino';
import type { Dispatcher } from 'undici';
import { pickPropagatedHeaders, type Logger } from '@skiff/telemetry';
import { applyBehaviourUpdate, createBehaviourControl, createRequestStats, shouldFail } from '@skiff/sample-kit';
import { accessLog, jsonErrors, notFound, parseProductId, requestId, requestIdOf } from './http-basics.js';
import { createOutboundDispatcher } from './upstream.js';
import { grpcRatingsCaller, httpRatingsCaller, type RatingsProtocol } from './ratings-caller.js';

export type ReviewsVersion = 'v1' | 'v2';
export const REVIEWS_VERSIONS: readonly ReviewsVersion[] = ['v1', 'v2'];

export interface ReviewsAppOptions {
  version: ReviewsVersion;
  /** Base URL of ratings (v2 only); gRPC calls its host and port. Default http://ratings:9080, a name the sidecar resolves. */
  ratingsUrl?: string;
  /** The keep-alive pool for calls to ratings over HTTP; default a direct one. See createOutboundDispatcher. */
  dispatcher?: Dispatcher;
  /** How v2 calls ratings: HTTP/JSON (the default here) or gRPC (the process's default: RATINGS_PROTOCOL). */
  ratingsProtocol?: RatingsProtocol;
  /** The sidecar's outbound listener, for gRPC calls (HTTP calls go through `dispatcher`). */
  outboundProxy?: string | undefined;
  /** Default 10 s, like Bookinfo's reviews: longer than the frontend waits for reviews. */
  ratingsTimeoutMs?: number;
  failPercent?: number;
  extraLatencyMs?: number;
  /** [0, 1), default Math.random: decides which requests fail under failPercent. */
  random?: () => number;
  /** Default silent. */
  logger?: Logger;
}

export interface Review {
  reviewer: string;
  text: string;
  rating?: { stars: number; color: string };
}

export interface ReviewsBody {
  id: number;
  version: ReviewsVersion;
  reviews: Review[];
  /** v2 only, when ratings could not be had: the reviews come without stars. */
  ratingsError?: { status: number; message: string };
}

export const DEFAULT_RATINGS_URL = 'http://ratings:9080';

const REVIEWS: readonly Review[] = [
  { reviewer: 'Reviewer1', text: 'An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!' },
  { reviewer: 'Reviewer2', text: 'Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare.' },
];
const STAR_COLOR: Record<ReviewsVersion, string | undefined> = { v1: undefined, v2: 'black' };

/** The app that serves traffic, and its demo controls (served on their own loopback port: see @skiff/sample-kit's admin-server). */
export interface ReviewsApps {
  app: express.Application;
  admin: express.Application;
  /** Closes the client of ratings. */
  close(): void;
}

export function createApp(options: ReviewsAppOptions): ReviewsApps {
  const { version } = options;
  if (!REVIEWS_VERSIONS.includes(version)) throw new Error(`reviews: version must be one of ${REVIEWS_VERSIONS.join(', ')}, got "${String(version)}"`);
  const ratingsUrl = options.ratingsUrl ?? DEFAULT_RATINGS_URL;
  const dispatcher = options.dispatcher ?? createOutboundDispatcher();
  const ratingsTimeoutMs = options.ratingsTimeoutMs ?? 10_000;
  const random = options.random ?? Math.random;
  const logger = options.logger ?? pino({ level: 'silent' });
  const initial = applyBehaviourUpdate({ failPercent: 0, extraLatencyMs: 0 }, { failPercent: options.failPercent ?? 0, extraLatencyMs: options.extraLatencyMs ?? 0 });
  if ('error' in initial) throw new Error(`reviews: ${initial.error}`);
  const behaviour = createBehaviourControl(initial.behaviour, (now) => logger.info({ behaviour: now }, 'behaviour changed'));
  const ratings = options.ratingsProtocol === 'grpc' ? grpcRatingsCaller(ratingsUrl, options.outboundProxy, ratingsTimeoutMs) : httpRatingsCaller(ratingsUrl, dispatcher, ratingsTimeoutMs);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const stats = createRequestStats();
  app.use(stats.count, requestId(), accessLog(logger), (_req, res, next) => {
    res.setHeader('x-skiff-version', version);
    next();
  });
  const admin = express();
  admin.disable('x-powered-by');
  admin.use(stats.routes, behaviour.routes);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: 'reviews', version });
  });

  app.get('/reviews/:id', async (req, res) => {
    const id = parseProductId(req.params.id);
    if (id === undefined) {
      res.status(400).json({ error: 'bad request', message: `product id must be a non-negative integer, got "${req.params.id}"`, requestId: requestIdOf(req) });
      return;
    }
    const { extraLatencyMs } = behaviour.current();
    if (extraLatencyMs > 0) await sleep(extraLatencyMs);
    if (shouldFail(behaviour.current(), random)) {
      res.status(500).json({
        error: 'injected failure',
        message: `reviews ${version} failed on purpose: failPercent is ${behaviour.current().failPercent} (FAIL_PERCENT or POST /admin/behaviour)`,
        requestId: requestIdOf(req),
      });
      return;
    }
    const color = STAR_COLOR[version];
    const body: ReviewsBody = { id, version, reviews: REVIEWS.map((review) => ({ ...review })) };
    if (color !== undefined) {
      const result = await ratings.get(id, pickPropagatedHeaders(req.headers));
      if (result.ok) {
        for (const review of body.reviews) {
          const stars = result.ratings[review.reviewer];
          if (stars !== undefined) review.rating = { stars, color };
        }
      } else {
        body.ratingsError = { status: result.status, message: result.message };
        logger.warn({ requestId: requestIdOf(req), ratingsError: body.ratingsError }, 'ratings unavailable; answering without stars');
      }
    }
    res.json(body);
  });

  app.use(notFound('reviews'));
  app.use(jsonErrors('reviews', logger));
  admin.use(notFound('reviews admin'));
  admin.use(jsonErrors('reviews admin', logger));
  return { app, admin, close: () => ratings.close() };
}
